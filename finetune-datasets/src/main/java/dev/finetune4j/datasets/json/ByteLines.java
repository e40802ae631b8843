package dev.finetune4j.datasets.json;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a stream line by line as raw UTF-8 bytes (no String per line): after {@link #next()} the line is
 * {@code buffer()[start() .. start()+length())}, without its {@code \n} or {@code \r\n}. A leading UTF-8 byte
 * order mark is skipped. The buffer grows to the longest line; nothing else is held.
 */
final class ByteLines implements Closeable {
    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private int scan;
    private boolean eof;
    private boolean first = true;
    private long lineNo;
    private int start;
    private int length;

    ByteLines(InputStream in) {
        this.in = in;
    }

    boolean next() throws IOException {
        while (true) {
            for (int i = scan; i < limit; i++) {
                if (buf[i] == '\n') {
                    emit(i);
                    pos = i + 1;
                    scan = pos;
                    return true;
                }
            }
            scan = limit;
            if (eof) {
                if (pos < limit) {
                    emit(limit);
                    pos = limit;
                    scan = limit;
                    return true;
                }
                return false;
            }
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                limit -= pos;
                scan -= pos;
                pos = 0;
            }
            if (limit == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
            }
        }
    }

    private void emit(int end) {
        int s = pos;
        if (first) {
            first = false;
            if (end - s >= 3 && (buf[s] & 0xFF) == 0xEF && (buf[s + 1] & 0xFF) == 0xBB && (buf[s + 2] & 0xFF) == 0xBF) {
                s += 3;
            }
        }
        int e = end;
        if (e > s && buf[e - 1] == '\r') {
            e--;
        }
        start = s;
        length = e - s;
        lineNo++;
    }

    byte[] buffer() {
        return buf;
    }

    int start() {
        return start;
    }

    int length() {
        return length;
    }

    long lineNumber() {
        return lineNo;
    }

    boolean blank() {
        for (int i = start, e = start + length; i < e; i++) {
            byte b = buf[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
