package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CudaRequirementsTest {

    @ParameterizedTest(name = "compute capability {0}.{1} -> {2}")
    @CsvSource({
        "3, 0, false", "3, 5, false", "3, 7, true",           // Kepler: only K80's 3.7
        "5, 0, true", "5, 2, true", "5, 3, true",             // Maxwell (5.3 runs the 5.2 code)
        "6, 0, true", "6, 1, true", "6, 2, true",             // Pascal
        "7, 0, true", "7, 2, true", "7, 5, true",             // Volta, Xavier, Turing
        "8, 0, true", "8, 6, true", "8, 7, true", "8, 9, true", // Ampere, Ada (8.9 runs the 8.6 code)
        "9, 0, false", "10, 0, false", "12, 0, false"         // Hopper (H100/H200), Blackwell: no code, no PTX
    })
    void nativesRunOnlyWhereACubinOfTheSameMajorVersionExists(int major, int minor, boolean runs) {
        assertEquals(runs, CudaRequirements.runsOn(major, minor));
    }
}
