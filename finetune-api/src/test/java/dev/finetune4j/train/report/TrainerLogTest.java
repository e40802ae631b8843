package dev.finetune4j.train.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.train.StepLog;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerLogTest {

    @Test
    void writesLlamaFactoryKeysAndTruncatesOnResume(@TempDir Path out) throws IOException {
        TrainerLog log = new TrainerLog(out);
        for (int s = 1; s <= 3; s++) {
            log.append(new StepLog(s, 10, 2.0 / s, null, 1e-4, s / 5.0, 12.5 * s, 12.5 * (10 - s), 100L * s, 0.5,
                    Map.of("rewards/accuracies", 0.75)));
        }
        List<JsonNode> lines = log.read();
        assertEquals(3, lines.size());
        JsonNode first = lines.get(0);
        assertEquals(1, first.get("current_steps").asLong());
        assertEquals(10, first.get("total_steps").asLong());
        assertEquals(2.0, first.get("loss").asDouble());
        assertEquals(1e-4, first.get("lr").asDouble());
        assertEquals(0.2, first.get("epoch").asDouble());
        assertEquals(10.0, first.get("percentage").asDouble());
        assertEquals("0:00:12", first.get("elapsed_time").asText());
        assertEquals("0:01:52", first.get("remaining_time").asText());
        assertEquals(8.0, first.get("throughput").asDouble());
        assertEquals(100, first.get("total_tokens").asLong());
        assertEquals(0.75, first.get("accuracy").asDouble());
        assertEquals(0.75, first.get("rewards/accuracies").asDouble());
        assertFalse(first.has("eval_loss"));

        log.truncateAfter(2);
        assertEquals(2, log.read().size());
        assertEquals(2, log.read().get(1).get("current_steps").asLong());
    }

    @Test
    void durationsArePythonTimedeltaStrings() {
        assertEquals("0:00:00", StepLog.formatDuration(0.9));
        assertEquals("1:01:01", StepLog.formatDuration(3661));
        assertEquals("1 day, 0:00:05", StepLog.formatDuration(86405));
        assertEquals("2 days, 1:00:00", StepLog.formatDuration(2 * 86400 + 3600));
    }
}
