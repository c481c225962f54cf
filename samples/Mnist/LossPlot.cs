using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ModelGen.Samples.Mnist;

/// <summary>
/// Draws loss.png with ScottPlot 5: the loss of every step as a faint line, an exponential moving average over it
/// (debiased, as TensorBoard smooths), dashed lines at the epoch boundaries, and the test accuracy after each epoch
/// on the right axis. The x axis counts epochs; the loss axis is logarithmic, since the loss falls by orders of magnitude.
/// </summary>
public static class LossPlot
{
    /// <summary>
    /// Weight of the newest step in the moving average of <paramref name="steps"/> steps: about 2 / (steps / 40 + 1),
    /// so the average spans a fortieth of the run (0.017 for 5 MNIST epochs), kept within [0.01, 0.3].
    /// </summary>
    public static double SmoothingAlpha(int steps) => Math.Clamp(2.0 / (steps / 40.0 + 1), 0.01, 0.3);

    /// <summary>Writes the plot to <paramref name="path"/> as a <paramref name="width"/> × <paramref name="height"/> PNG.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The plot's title.</param>
    /// <param name="losses">The loss of each step, in order.</param>
    /// <param name="stepsPerEpoch">Steps per epoch, to place steps on the epoch axis.</param>
    /// <param name="testAccuracy">Test accuracy (0 to 1) after epoch 1, 2, …</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void Save(string path, string title, ReadOnlySpan<float> losses, int stepsPerEpoch, IReadOnlyList<double> testAccuracy,
        int width = 1000, int height = 560)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("training loss (log scale)");

        // Non-finite or non-positive losses cannot sit on a log axis; they are left out of the plot (loss.csv keeps them).
        var xs = new List<double>(losses.Length);
        var ys = new List<double>(losses.Length);
        var smoothY = new List<double>(losses.Length);
        double alpha = SmoothingAlpha(losses.Length);
        double average = 0, weight = 0;
        for (int i = 0; i < losses.Length; i++)
        {
            double loss = losses[i];
            if (!double.IsFinite(loss) || loss <= 0) continue;
            average = (1 - alpha) * average + alpha * loss;
            weight = (1 - alpha) * weight + alpha;
            xs.Add((i + 1) / (double)stepsPerEpoch);
            ys.Add(Math.Log10(loss));
            smoothY.Add(Math.Log10(average / weight));
        }

        if (xs.Count > 0)
        {
            var raw = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            raw.LegendText = "loss per step";
            raw.LineWidth = 1;
            raw.Color = Colors.SteelBlue.WithAlpha(0.3);

            var smooth = plot.Add.ScatterLine(xs.ToArray(), smoothY.ToArray());
            smooth.LegendText = $"moving average (EMA, alpha {alpha.ToString("0.###", CultureInfo.InvariantCulture)})";
            smooth.LineWidth = 2.5f;
            smooth.Color = Colors.Navy;
        }

        int epochs = (losses.Length + stepsPerEpoch - 1) / stepsPerEpoch;
        for (int e = 1; e < epochs; e++)
        {
            var boundary = plot.Add.VerticalLine(e);
            boundary.Color = Colors.Gray.WithAlpha(0.6);
            boundary.LinePattern = LinePattern.Dashed;
            boundary.LineWidth = 1;
        }

        if (ys.Count > 0) plot.Axes.Left.TickGenerator = LogTicks(Min(ys), Max(ys));
        plot.Grid.MinorLineWidth = 1;
        plot.Grid.MinorLineColor = Colors.Black.WithAlpha(0.05);

        if (testAccuracy.Count > 0)
        {
            var accuracyX = new double[testAccuracy.Count];
            var accuracyY = new double[testAccuracy.Count];
            for (int e = 0; e < testAccuracy.Count; e++)
            {
                accuracyX[e] = e + 1;
                accuracyY[e] = 100 * testAccuracy[e];
            }
            var accuracy = plot.Add.Scatter(accuracyX, accuracyY);
            accuracy.Axes.YAxis = plot.Axes.Right;
            accuracy.LegendText = "test accuracy (right axis)";
            accuracy.Color = Colors.OrangeRed;
            accuracy.LineWidth = 2;
            accuracy.MarkerSize = 8;
            for (int e = 0; e < accuracyY.Length; e++)
            {
                var label = plot.Add.Text(accuracyY[e].ToString("0.00", CultureInfo.InvariantCulture) + "%", accuracyX[e], accuracyY[e]);
                label.Axes.YAxis = plot.Axes.Right;
                label.LabelFontColor = Colors.OrangeRed;
                label.LabelFontSize = 12;
                label.LabelBackgroundColor = Colors.White.WithAlpha(0.8);
                label.LabelAlignment = Alignment.LowerRight;
                label.OffsetX = -4;
                label.OffsetY = -4;
            }
            plot.Axes.Right.Label.Text = "test accuracy (%)";
            double low = Math.Min(Min(accuracyY) - 1, 90), high = 100;
            plot.Axes.SetLimitsY(low, high, plot.Axes.Right);
        }

        plot.Axes.SetLimitsX(0, Math.Max(epochs, 1) + 0.05);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, width, height);
    }

    // Ticks for an axis that shows log10 of the loss: labels at 1, 2 and 5 × 10^k (only 10^k when the range spans
    // more than two decades), unlabelled minor ticks at the other integers × 10^k.
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double low, double high)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        bool dense = high - low <= 2;
        for (int decade = (int)Math.Floor(low) - 1; decade <= (int)Math.Ceiling(high) + 1; decade++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double position = decade + Math.Log10(m);
                if (m == 1 || (dense && m is 2 or 5))
                    ticks.AddMajor(position, (m * Math.Pow(10, decade)).ToString("G3", CultureInfo.InvariantCulture));
                else
                    ticks.AddMinor(position);
            }
        }
        return ticks;
    }

    private static double Min(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity;
        foreach (double v in values) min = Math.Min(min, v);
        return min;
    }

    private static double Max(IEnumerable<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        return max;
    }
}
