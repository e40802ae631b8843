package dev.finetune4j.train.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossPlotTest {

    @Test
    void smoothingIsLlamaFactorysEma() {
        // weight for 3 points: 1.8 * (sigmoid(0.15) - 0.5) = 0.13473...
        double w = 1.8 * (1 / (1 + Math.exp(-0.15)) - 0.5);
        double[] s = LossPlot.smooth(new double[] {3, 2, 1});
        double s1 = 3;
        double s2 = s1 * w + (1 - w) * 2;
        double s3 = s2 * w + (1 - w) * 1;
        assertArrayEquals(new double[] {3, s2, s3}, s, 1e-12);
    }

    @Test
    void writesAPngWithTheCurveOnIt(@TempDir Path dir) throws Exception {
        List<LossPlot.Point> pts = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            pts.add(new LossPlot.Point(i, 5.0 / i));
        }
        Path png = dir.resolve("training_loss.png");
        LossPlot.write(png, "training loss", pts);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(500, img.getHeight());
        // the curve starts high on the left: some pixel near the top-left of the plot area is not white
        boolean drawn = false;
        for (int y = 50; y < 120 && !drawn; y++) {
            for (int x = 70; x < 100; x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF && (img.getRGB(x, y) & 0xFF) > 150) {
                    drawn = true;
                    break;
                }
            }
        }
        assertTrue(drawn, "curve is drawn where the first, highest loss is");
    }
}
