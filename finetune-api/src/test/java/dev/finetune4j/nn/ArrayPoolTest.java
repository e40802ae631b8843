package dev.finetune4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ArrayPoolTest {

    @Test
    void capacityClassesHaveAtMostOneEighthSlack() {
        assertEquals(256, ArrayPool.capacityFor(1));
        assertEquals(256, ArrayPool.capacityFor(256));
        assertEquals(288, ArrayPool.capacityFor(257));
        for (long n = 257; n < 1_000_000; n = n * 3 / 2 + 7) {
            long c = ArrayPool.capacityFor(n);
            assertTrue(c >= n && c <= n * 1.125 + 1, n + " -> " + c);
            assertEquals(c, ArrayPool.floorClass(c), "a class is its own floor");
            assertTrue(ArrayPool.floorClass(c + 1) == c, "floor of c+1 is c for " + c);
        }
    }

    @Test
    void buffersAreReusedAcrossShapesOfTheSameClass() {
        ArrayPool pool = new ArrayPool(Long.MAX_VALUE);
        try (ArrayPool.Activation a = pool.activate()) {
            assertSame(pool, ArrayPool.current());
            INDArray x = ArrayPool.take(DataType.FLOAT, 30, 40);
            assertArrayEquals(new long[] {30, 40}, x.shape());
            x.assign(3);
            ArrayPool.give(x);
            ArrayPool.give(x); // twice: kept once
            INDArray y = ArrayPool.take(DataType.FLOAT, 40, 30);
            assertSame(x.data(), y.data(), "same class, same buffer");
            INDArray z = ArrayPool.take(DataType.FLOAT, 40, 30);
            assertNotSame(y.data(), z.data(), "the buffer was lent once only");
            INDArray d = ArrayPool.take(DataType.DOUBLE, 40, 30);
            assertNotSame(y.data(), d.data());
            assertEquals(0.0, ArrayPool.takeZeros(DataType.FLOAT, 7, 3).sumNumber().doubleValue());
            // a foreign dense array given back serves a later request of its class
            INDArray foreign = Nd4j.create(DataType.FLOAT, 1000);
            ArrayPool.give(foreign);
            assertSame(foreign.data(), ArrayPool.take(DataType.FLOAT, 10, 96).data()); // 1000 serves class 960
        }
        assertNull(ArrayPool.current());
    }

    @Test
    void withoutAnActivePoolTakeAllocatesAndGiveCloses() {
        INDArray x = ArrayPool.take(DataType.FLOAT, 3, 4);
        ArrayPool.give(x);
        assertTrue(x.wasClosed());
    }

    @Test
    void viewsAndOverCapArraysAreNotKept() {
        ArrayPool pool = new ArrayPool(4096);
        try (ArrayPool.Activation a = pool.activate()) {
            INDArray big = Nd4j.create(DataType.FLOAT, 100, 100);
            ArrayPool.give(big.getRow(5)); // a view: not kept
            assertEquals(0, pool.pooledBytes());
            ArrayPool.give(big); // 40 KB > cap: closed instead
            assertEquals(0, pool.pooledBytes());
        }
    }
}
