package dev.finetune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class RowParallelTest {
    @Test
    void everyRowRunsOnceEvenWithNestedLoops() {
        AtomicIntegerArray seen = new AtomicIntegerArray(1000);
        RowParallel.forRows(10, 1, (from, to) -> {
            for (long r = from; r < to; r++) {
                long outer = r;
                // a loop inside a part runs inline (a nested submit to the pool could wait on itself)
                RowParallel.forRows(100, 1, (f2, t2) -> {
                    for (long c = f2; c < t2; c++) {
                        seen.incrementAndGet((int) (outer * 100 + c));
                    }
                });
            }
        });
        for (int i = 0; i < seen.length(); i++) {
            assertEquals(1, seen.get(i), "row " + i);
        }
    }

    @Test
    void aFailingPartFailsTheLoop() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RowParallel.forRows(8, 1,
                (from, to) -> {
                    if (to == 8) {
                        throw new IllegalStateException("last part");
                    }
                }));
        assertEquals("last part", e.getMessage());
    }
}
