package dev.finetune4j.datasets;

import dev.finetune4j.data.DatasetOptions;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.InvalidDatasetException;
import dev.finetune4j.data.ValidationPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset read from files, with its {@link DatasetOptions}: {@link #open()} streams the valid examples under
 * the validation policy, {@link #records()} streams every record with its problems, {@link #validate} counts
 * them. Immutable: {@link #strict()}, {@link #lenient()}, {@link #maxSamples(Integer)} return new instances.
 * Made by {@link Datasets}.
 */
public abstract class Dataset implements DatasetSource {
    private static final Logger LOG = LoggerFactory.getLogger(Dataset.class);
    /** Under LENIENT, this many dropped records are logged one by one; the rest only in the final count. */
    static final int LOGGED_PROBLEMS = 10;

    private final DatasetOptions options;
    private volatile boolean noticesLogged;

    protected Dataset(DatasetOptions options) {
        this.options = options;
    }

    public DatasetOptions options() {
        return options;
    }

    /** The same data read with other options. */
    public abstract Dataset withOptions(DatasetOptions options);

    /**
     * Every record (after {@code num_samples} resampling and {@code max_samples}), valid or not, with its
     * problems; problems with a whole file come first as records of index 0. The caller closes the stream.
     */
    public abstract Stream<ParsedRecord> records() throws IOException;

    /**
     * Things a person should know that are not errors, e.g. media columns that are ignored. {@link #open()} logs
     * them (once per instance); {@link #validate} leaves them to its caller.
     */
    public abstract List<String> notices();

    /** Stop at bad records, listing up to {@link DatasetOptions#maxProblems()} of them. */
    public Dataset strict() {
        return withOptions(options.withPolicy(ValidationPolicy.STRICT));
    }

    /** Stop at bad records, listing up to {@code maxProblems} of them. */
    public Dataset strict(int maxProblems) {
        return withOptions(options.withPolicy(ValidationPolicy.STRICT).withMaxProblems(maxProblems));
    }

    /** Drop bad records, counting and logging them (LLaMA-Factory's behaviour; the default). */
    public Dataset lenient() {
        return withOptions(options.withPolicy(ValidationPolicy.LENIENT));
    }

    /** Only the first {@code n} rows of each dataset ({@code max_samples}); null for all. */
    public Dataset maxSamples(Integer n) {
        return withOptions(options.withMaxSamples(n));
    }

    /**
     * The valid examples, streaming. STRICT: the first invalid record ends the stream with an
     * {@link InvalidDatasetException} listing up to {@code maxProblems} problems (the rest of the data is scanned
     * for them, without emitting). LENIENT: invalid records are dropped, counted and logged. A syntax error inside
     * a JSON array is fatal under both.
     */
    @Override
    public Stream<Example> open() throws IOException {
        if (!noticesLogged) {
            noticesLogged = true;
            for (String n : notices()) {
                LOG.warn(n);
            }
        }
        Stream<ParsedRecord> records = records();
        PolicyIterator it = new PolicyIterator(records.iterator());
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(records::close);
    }

    /** Reads everything, handing each problem to {@code sink} in file order; never throws for bad data. */
    public ValidationReport validate(Consumer<DatasetProblem> sink) throws IOException {
        long records = 0;
        long invalid = 0;
        long fileProblems = 0;
        long problems = 0;
        try (Stream<ParsedRecord> s = records()) {
            for (Iterator<ParsedRecord> it = s.iterator(); it.hasNext();) {
                ParsedRecord r = it.next();
                problems += r.problems().size();
                r.problems().forEach(sink);
                if (r.fileLevel()) {
                    fileProblems += r.problems().size();
                    continue;
                }
                records++;
                if (!r.valid()) {
                    invalid++;
                }
            }
        }
        return new ValidationReport(records, invalid, fileProblems, problems);
    }

    private final class PolicyIterator implements Iterator<Example> {
        private final Iterator<ParsedRecord> records;
        private Example next;
        private long rows;
        private long dropped;
        private boolean finished;

        PolicyIterator(Iterator<ParsedRecord> records) {
            this.records = records;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !finished) {
                if (!records.hasNext()) {
                    finished = true;
                    if (dropped > 0) {
                        LOG.warn("{}: dropped {} invalid of {} records (run finetune validate to list them)",
                                description(), dropped, rows);
                    }
                    break;
                }
                ParsedRecord r = records.next();
                if (!r.fileLevel()) {
                    rows++;
                }
                if (r.valid()) {
                    next = r.example();
                } else if (options.policy() == ValidationPolicy.STRICT) {
                    throw strictFailure(r);
                } else if (r.fatal()) {
                    throw new InvalidDatasetException(r.problems());
                } else {
                    if (!r.fileLevel()) {
                        dropped++;
                    }
                    for (DatasetProblem p : r.problems()) {
                        if (dropped <= LOGGED_PROBLEMS || r.fileLevel()) {
                            LOG.warn("{} (record dropped)", p.format());
                        } else {
                            LOG.debug("{} (record dropped)", p.format());
                        }
                    }
                }
            }
            return next != null;
        }

        private InvalidDatasetException strictFailure(ParsedRecord first) {
            int max = options.maxProblems();
            List<DatasetProblem> found = new ArrayList<>(first.problems());
            boolean fatal = first.fatal();
            while (found.size() < max && !fatal && records.hasNext()) {
                ParsedRecord r = records.next();
                found.addAll(r.problems());
                fatal = r.fatal();
            }
            return new InvalidDatasetException(found.size() > max ? found.subList(0, max) : found);
        }

        @Override
        public Example next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Example e = next;
            next = null;
            return e;
        }
    }
}
