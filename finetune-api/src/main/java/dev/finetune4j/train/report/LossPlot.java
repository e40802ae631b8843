package dev.finetune4j.train.report;

import dev.finetune4j.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws the training loss curve ({@code training_loss.png}) as LLaMA-Factory does: the logged losses and an
 * exponentially smoothed line, step on the x axis. Plain Java2D, headless, no chart library needed.
 */
public final class LossPlot {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 500;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private LossPlot() {
    }

    /** One logged point. */
    public record Point(long step, double loss) {
    }

    /** Writes the PNG atomically; needs at least one point. */
    public static void write(Path file, String title, List<Point> points) throws IOException {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no points to plot");
        }
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = render(title, points);
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    /** LLaMA-Factory's smoothing: an EMA whose weight grows with the number of points. */
    static double[] smooth(double[] y) {
        if (y.length == 0) {
            return y;
        }
        double weight = 1.8 * (1 / (1 + Math.exp(-0.05 * y.length)) - 0.5);
        double[] out = new double[y.length];
        double last = y[0];
        for (int i = 0; i < y.length; i++) {
            last = last * weight + (1 - weight) * y[i];
            out[i] = last;
        }
        return out;
    }

    static BufferedImage render(String title, List<Point> points) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);

            double[] x = points.stream().mapToDouble(Point::step).toArray();
            double[] y = points.stream().mapToDouble(Point::loss).toArray();
            double[] ys = smooth(y);
            double xMin = x[0];
            double xMax = x[x.length - 1] > xMin ? x[x.length - 1] : xMin + 1;
            double yMin = Double.POSITIVE_INFINITY;
            double yMax = Double.NEGATIVE_INFINITY;
            for (double v : y) {
                if (Double.isFinite(v)) {
                    yMin = Math.min(yMin, v);
                    yMax = Math.max(yMax, v);
                }
            }
            if (!Double.isFinite(yMin)) {
                yMin = 0;
                yMax = 1;
            }
            if (yMax - yMin < 1e-12) {
                yMax = yMin + 1;
            }
            double pad = (yMax - yMin) * 0.05;
            yMin -= pad;
            yMax += pad;
            int pw = WIDTH - LEFT - RIGHT;
            int ph = HEIGHT - TOP - BOTTOM;

            // axes, grid and ticks
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i <= 5; i++) {
                double v = yMin + (yMax - yMin) * i / 5;
                int py = TOP + ph - (int) Math.round(ph * (double) i / 5);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, py, LEFT + pw, py);
                g.setColor(Color.DARK_GRAY);
                String label = String.format(Locale.ROOT, "%.3g", v);
                g.drawString(label, LEFT - 8 - fm.stringWidth(label), py + fm.getAscent() / 2);
            }
            for (int i = 0; i <= 5; i++) {
                double v = xMin + (xMax - xMin) * i / 5;
                int px = LEFT + (int) Math.round(pw * (double) i / 5);
                g.setColor(Color.DARK_GRAY);
                String label = String.format(Locale.ROOT, "%d", Math.round(v));
                g.drawString(label, px - fm.stringWidth(label) / 2, TOP + ph + fm.getAscent() + 6);
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, pw, ph);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, LEFT + (pw - g.getFontMetrics().stringWidth(title)) / 2, TOP - 18);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString("step", LEFT + pw / 2 - 12, HEIGHT - 15);
            g.drawString("loss", 12, TOP + ph / 2);

            drawLine(g, x, y, xMin, xMax, yMin, yMax, pw, ph, new Color(31, 119, 180, 90), 1.5f);
            drawLine(g, x, ys, xMin, xMax, yMin, yMax, pw, ph, new Color(31, 119, 180), 2.2f);

            // legend
            g.setColor(new Color(31, 119, 180, 120));
            g.fillRect(LEFT + pw - 150, TOP + 12, 18, 3);
            g.setColor(new Color(31, 119, 180));
            g.fillRect(LEFT + pw - 150, TOP + 30, 18, 3);
            g.setColor(Color.DARK_GRAY);
            g.drawString("original", LEFT + pw - 125, TOP + 18);
            g.drawString("smoothed", LEFT + pw - 125, TOP + 36);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void drawLine(Graphics2D g, double[] x, double[] y, double xMin, double xMax, double yMin,
                                 double yMax, int pw, int ph, Color color, float width) {
        Path2D.Double path = new Path2D.Double();
        boolean started = false;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(y[i])) {
                continue;
            }
            double px = LEFT + pw * (x[i] - xMin) / (xMax - xMin);
            double py = TOP + ph - ph * (y[i] - yMin) / (yMax - yMin);
            if (started) {
                path.lineTo(px, py);
            } else {
                path.moveTo(px, py);
                started = true;
            }
        }
        g.setColor(color);
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(path);
        if (x.length == 1) {
            double px = LEFT + pw / 2.0;
            double py = TOP + ph / 2.0;
            g.fillOval((int) px - 3, (int) py - 3, 6, 6);
        }
    }
}
