package dev.finetune4j.datasets;

import dev.finetune4j.data.DatasetOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Several datasets one after the other (LLaMA-Factory's {@code mix_strategy: concat}, the default for
 * {@code dataset: a,b}). Options apply to each part ({@code max_samples} is per dataset, as in LLaMA-Factory).
 */
public final class CombinedDataset extends Dataset {
    private final List<Dataset> parts;

    public CombinedDataset(List<? extends Dataset> parts, DatasetOptions options) {
        super(options);
        List<Dataset> ps = new ArrayList<>();
        for (Dataset p : parts) {
            ps.add(p.withOptions(options));
        }
        this.parts = List.copyOf(ps);
        if (this.parts.isEmpty()) {
            throw new IllegalArgumentException("no datasets to combine");
        }
    }

    public List<Dataset> parts() {
        return parts;
    }

    @Override
    public String description() {
        return parts.stream().map(Dataset::description).collect(Collectors.joining(" + "));
    }

    @Override
    public CombinedDataset withOptions(DatasetOptions options) {
        return new CombinedDataset(parts, options);
    }

    @Override
    public List<String> notices() {
        List<String> all = new ArrayList<>();
        parts.forEach(p -> all.addAll(p.notices()));
        return all;
    }

    @Override
    public Stream<ParsedRecord> records() throws IOException {
        // an explicit chain: Stream.flatMap(...).iterator() would buffer a whole part in memory
        Chain chain = new Chain();
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(chain, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(chain::close);
    }

    private final class Chain implements Iterator<ParsedRecord> {
        private int nextPart;
        private Stream<ParsedRecord> stream;
        private Iterator<ParsedRecord> current;

        @Override
        public boolean hasNext() {
            while (true) {
                if (current != null) {
                    if (current.hasNext()) {
                        return true;
                    }
                    close();
                }
                if (nextPart >= parts.size()) {
                    return false;
                }
                try {
                    stream = parts.get(nextPart++).records();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                current = stream.iterator();
            }
        }

        @Override
        public ParsedRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }

        void close() {
            if (stream != null) {
                stream.close();
            }
            stream = null;
            current = null;
        }
    }
}
