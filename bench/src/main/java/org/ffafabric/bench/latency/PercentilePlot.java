package org.ffafabric.bench.latency;

import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The latency-by-percentile chart: x is the percentile on a "nines" scale, plotted as
 * {@code -log10(1 - p)} so 90%, 99%, 99.9% ... are evenly spaced; y is the latency in
 * microseconds, log scale; one line per scenario.
 */
public final class PercentilePlot
{
    /** The chart's file name in the results directory. */
    public static final String FILE_NAME = "latency-by-percentile.png";

    private static final int WIDTH = 1200;
    private static final int HEIGHT = 700;
    private static final int PERCENTILE_TICKS_PER_HALF_DISTANCE = 5;

    private PercentilePlot()
    {
    }

    /**
     * Writes the chart as PNG.
     *
     * @param file       the PNG to write.
     * @param histograms round-trip latency in ns, by scenario name, in legend order.
     * @throws IOException when the file can not be written.
     */
    public static void write(final Path file, final Map<String, ? extends AbstractHistogram> histograms)
        throws IOException
    {
        // XChart renders with AWT: no display is needed or wanted.
        System.setProperty("java.awt.headless", "true");

        final XYChart chart = new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Round-trip latency by percentile")
            .xAxisTitle("percentile")
            .yAxisTitle("latency (µs, log scale)")
            .build();

        chart.getStyler()
            .setYAxisLogarithmic(true)
            .setYAxisDecimalPattern("#,##0.###")
            .setXAxisMin(0.0)
            .setLegendPosition(Styler.LegendPosition.InsideNW)
            .setMarkerSize(0)
            // One distinct colour per scenario: the default palette repeats after five series.
            .setSeriesColors(new java.awt.Color[]{
                new java.awt.Color(0x1f77b4), new java.awt.Color(0xff7f0e), new java.awt.Color(0x9467bd),
                new java.awt.Color(0x2ca02c), new java.awt.Color(0xd62728), new java.awt.Color(0x8c564b),
                new java.awt.Color(0xe377c2), new java.awt.Color(0x7f7f7f), new java.awt.Color(0xbcbd22),
                new java.awt.Color(0x17becf)});
        chart.setCustomXAxisTickLabelsFormatter(PercentilePlot::ninesLabel);

        double maxX = 1.0;
        for (final Map.Entry<String, ? extends AbstractHistogram> entry : histograms.entrySet())
        {
            final List<Double> xs = new ArrayList<>();
            final List<Double> ys = new ArrayList<>();
            final AbstractHistogram histogram = entry.getValue();
            if (histogram.getTotalCount() == 0)
            {
                continue;
            }

            for (final HistogramIterationValue value : histogram.percentiles(PERCENTILE_TICKS_PER_HALF_DISTANCE))
            {
                final double fraction = value.getPercentileLevelIteratedTo() / 100.0;
                if (fraction >= 1.0)
                {
                    break;
                }
                xs.add(nines(fraction));
                ys.add(Math.max(value.getValueIteratedTo(), 1) / 1000.0);
            }

            // The maximum sits where one sample in the run is above: 1 - 1/count.
            final double maxNines = Math.log10(histogram.getTotalCount());
            xs.add(maxNines);
            ys.add(Math.max(histogram.getMaxValue(), 1) / 1000.0);
            maxX = Math.max(maxX, maxNines);

            final XYSeries series = chart.addSeries(entry.getKey(), xs, ys);
            series.setMarker(SeriesMarkers.NONE);
        }

        chart.getStyler().setXAxisMax(Math.ceil(maxX));
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** {@code -log10(1 - p)}: 0.9 is 1, 0.99 is 2, 0.999 is 3. */
    static double nines(final double fraction)
    {
        return -Math.log10(1.0 - fraction);
    }

    /** The tick label at x: whole nines as percentiles (90%, 99%, 99.9%), the median as 50%. */
    static String ninesLabel(final double x)
    {
        final long whole = Math.round(x);
        if (Math.abs(x - whole) < 1e-6)
        {
            // 1 - 10^-n as a percentage: 90, 99, 99.9, 99.99 ...
            return BigDecimal.ONE.subtract(BigDecimal.ONE.movePointLeft((int)whole))
                .movePointRight(2).stripTrailingZeros().toPlainString() + "%";
        }

        if (Math.abs(x - nines(0.5)) < 1e-3)
        {
            return "50%";
        }

        return "";
    }
}
