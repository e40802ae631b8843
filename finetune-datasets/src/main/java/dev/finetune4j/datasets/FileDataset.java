package dev.finetune4j.datasets;

import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.datasets.json.JsonRecordReader;
import dev.finetune4j.datasets.json.RecordConverter;
import dev.finetune4j.datasets.text.TextLineReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One dataset: one file (or the files of one folder, in name order) in one format. {@code .txt} files are read
 * a line per document; every other file as JSON (an array or JSON Lines) through the format's
 * {@link RecordConverter}. Streaming: one record is in memory at a time, except under {@code num_samples}
 * (registry resampling), which holds the N sampled records.
 */
public final class FileDataset extends Dataset {
    private final String description;
    private final List<Path> files;
    private final RecordConverter converter;
    private final Integer numSamples;
    private final List<String> notices;

    /**
     * @param converter  how JSON records become examples (unused for {@code .txt} files)
     * @param numSamples LLaMA-Factory {@code num_samples}: resample to exactly this many rows with
     *                   {@link DatasetOptions#seed()}, or null
     */
    public FileDataset(String description, List<Path> files, RecordConverter converter, Integer numSamples,
            List<String> notices, DatasetOptions options) {
        super(Objects.requireNonNull(options, "options"));
        this.description = Objects.requireNonNull(description, "description");
        this.files = List.copyOf(files);
        this.converter = Objects.requireNonNull(converter, "converter");
        this.numSamples = numSamples;
        this.notices = List.copyOf(notices);
        if (this.files.isEmpty()) {
            throw new IllegalArgumentException("a dataset has at least one file");
        }
    }

    @Override
    public String description() {
        return description;
    }

    public List<Path> files() {
        return files;
    }

    public RecordConverter converter() {
        return converter;
    }

    @Override
    public List<String> notices() {
        return notices;
    }

    @Override
    public FileDataset withOptions(DatasetOptions options) {
        return new FileDataset(description, files, converter, numSamples, notices, options);
    }

    @Override
    public FileDataset strict() {
        return (FileDataset) super.strict();
    }

    @Override
    public FileDataset strict(int maxProblems) {
        return (FileDataset) super.strict(maxProblems);
    }

    @Override
    public FileDataset lenient() {
        return (FileDataset) super.lenient();
    }

    @Override
    public FileDataset maxSamples(Integer n) {
        return (FileDataset) super.maxSamples(n);
    }

    @Override
    public Stream<ParsedRecord> records() throws IOException {
        Chain chain = new Chain();
        Iterator<ParsedRecord> it = chain;
        if (numSamples != null) {
            it = resample(chain);
        }
        Integer max = options().maxSamples();
        if (max != null) {
            it = new Limit(it, max);
        }
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(chain::close);
    }

    private RecordCursor openFile(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(".txt")) {
            return new TextLineReader(file);
        }
        return JsonRecordReader.open(file, converter);
    }

    /**
     * LLaMA-Factory's {@code num_samples}: a seeded random permutation of the rows truncated to N; when N is
     * larger than the dataset, every row once and the remainder drawn with replacement. Holds the N sampled
     * records. File-level problems and a fatal syntax error are passed on first.
     */
    private Iterator<ParsedRecord> resample(Chain first) throws IOException {
        long n = 0;
        List<ParsedRecord> head = new ArrayList<>();
        try (first) {
            while (first.hasNext()) {
                ParsedRecord r = first.next();
                if (r.fileLevel() || r.fatal()) {
                    head.add(r);
                } else {
                    n++;
                }
            }
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(description + ": too many rows to resample: " + n);
        }
        List<Integer> order = sampleIndices((int) n, numSamples, options().seed());
        Map<Integer, ParsedRecord> wanted = new HashMap<>();
        for (int i : order) {
            wanted.put(i, null);
        }
        try (Chain second = new Chain()) {
            int row = 0;
            while (second.hasNext()) {
                ParsedRecord r = second.next();
                if (r.fileLevel() || r.fatal()) {
                    continue;
                }
                if (wanted.containsKey(row)) {
                    wanted.put(row, r);
                }
                row++;
            }
        }
        List<ParsedRecord> out = new ArrayList<>(head);
        for (int i : order) {
            out.add(wanted.get(i));
        }
        return out.iterator();
    }

    /** Row indices: a permutation of [0, n) cut to {@code k}, then {@code k - n} more drawn with replacement. */
    static List<Integer> sampleIndices(int n, int k, long seed) {
        Random rnd = new Random(seed);
        List<Integer> perm = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            perm.add(i);
        }
        Collections.shuffle(perm, rnd);
        List<Integer> out = new ArrayList<>(perm.subList(0, Math.min(n, k)));
        for (int i = n; i < k && n > 0; i++) {
            out.add(rnd.nextInt(n));
        }
        return out;
    }

    /** The records of every file in turn, each file opened when reached. */
    private final class Chain implements Iterator<ParsedRecord>, AutoCloseable {
        private int nextFile;
        private RecordCursor current;

        @Override
        public boolean hasNext() {
            while (true) {
                if (current != null) {
                    if (current.hasNext()) {
                        return true;
                    }
                    closeCurrent();
                }
                if (nextFile >= files.size()) {
                    return false;
                }
                try {
                    current = openFile(files.get(nextFile++));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        @Override
        public ParsedRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }

        private void closeCurrent() {
            try {
                current.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                current = null;
            }
        }

        @Override
        public void close() {
            if (current != null) {
                closeCurrent();
            }
        }
    }

    /** Stops after {@code max} rows (file-level problems do not count). */
    private static final class Limit implements Iterator<ParsedRecord> {
        private final Iterator<ParsedRecord> in;
        private final int max;
        private int rows;

        Limit(Iterator<ParsedRecord> in, int max) {
            this.in = in;
            this.max = max;
        }

        @Override
        public boolean hasNext() {
            return rows < max && in.hasNext();
        }

        @Override
        public ParsedRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ParsedRecord r = in.next();
            if (!r.fileLevel()) {
                rows++;
            }
            return r;
        }
    }
}
