package dev.finetune4j.datasets;

import java.io.Closeable;
import java.util.Iterator;

/** Records of one file, read one at a time; closing it releases the file. */
public interface RecordCursor extends Iterator<ParsedRecord>, Closeable {
}
