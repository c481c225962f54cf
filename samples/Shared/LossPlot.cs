using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ModelGen.Samples;

/// <summary>
/// Draws loss.png with ScottPlot 5: the loss of every step as a faint line, an exponential moving average over it
/// (debiased, as TensorBoard smooths), dashed lines at the epoch boundaries, and one number per epoch: the test
/// accuracy on the right axis (<see cref="Save"/>) or a held-out loss on the loss axis (<see cref="SaveWithHeldOutLoss"/>).
/// The x axis counts epochs; the loss axis is logarithmic, since the loss falls by orders of magnitude.
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
        int epochs = DrawLosses(plot, title, "training loss (log scale)", losses, stepsPerEpoch, []);
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

    /// <summary>
    /// Writes the plot with a held-out loss after each epoch (for example the validation loss) drawn as labelled
    /// points on the training loss's axis, so the two can be compared directly (a gap is overfitting).
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The plot's title.</param>
    /// <param name="lossLabel">The loss axis's label, for example <c>loss (nats per character, log scale)</c>.</param>
    /// <param name="losses">The training loss of each step, in order.</param>
    /// <param name="stepsPerEpoch">Steps per epoch, to place steps on the epoch axis.</param>
    /// <param name="heldOutLabel">The legend of the per-epoch series, for example <c>validation loss</c>.</param>
    /// <param name="heldOutLoss">The held-out loss after epoch 1, 2, … (positive).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveWithHeldOutLoss(string path, string title, string lossLabel, ReadOnlySpan<float> losses, int stepsPerEpoch,
        string heldOutLabel, IReadOnlyList<double> heldOutLoss, int width = 1000, int height = 560)
    {
        var plot = new Plot();
        var xs = new List<double>(heldOutLoss.Count);
        var ys = new List<double>(heldOutLoss.Count);
        for (int e = 0; e < heldOutLoss.Count; e++)
        {
            if (!double.IsFinite(heldOutLoss[e]) || heldOutLoss[e] <= 0) continue;
            xs.Add(e + 1);
            ys.Add(Math.Log10(heldOutLoss[e]));
        }
        int epochs = DrawLosses(plot, title, lossLabel, losses, stepsPerEpoch, ys);
        if (xs.Count > 0)
        {
            var heldOut = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            heldOut.LegendText = heldOutLabel;
            heldOut.Color = Colors.OrangeRed;
            heldOut.LineWidth = 2;
            heldOut.MarkerSize = 8;
            for (int i = 0; i < xs.Count; i++)
            {
                var label = plot.Add.Text(Math.Pow(10, ys[i]).ToString("0.000", CultureInfo.InvariantCulture), xs[i], ys[i]);
                label.LabelFontColor = Colors.OrangeRed;
                label.LabelFontSize = 12;
                label.LabelBackgroundColor = Colors.White.WithAlpha(0.8);
                label.LabelAlignment = Alignment.LowerRight;
                label.OffsetX = -4;
                label.OffsetY = -4;
            }
        }
        plot.Axes.SetLimitsX(0, Math.Max(epochs, 1) + 0.05);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, width, height);
    }

    // The per-step losses, their moving average, the epoch boundaries and log ticks that also cover extraLog10
    // (log10 values drawn later on the same axis); returns the number of epochs the steps span.
    private static int DrawLosses(Plot plot, string title, string lossLabel, ReadOnlySpan<float> losses, int stepsPerEpoch, IReadOnlyList<double> extraLog10)
    {
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(lossLabel);

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

        var all = new List<double>(ys);
        all.AddRange(extraLog10);
        if (all.Count > 0) plot.Axes.Left.TickGenerator = LogTicks(Min(all), Max(all));
        plot.Grid.MinorLineWidth = 1;
        plot.Grid.MinorLineColor = Colors.Black.WithAlpha(0.05);
        return epochs;
    }

    // Ticks for an axis that shows log10 of the loss: labels at 1, 2 and 5 × 10^k (only 10^k when the range spans
    // more than two decades), unlabelled minor ticks at the other integers × 10^k. A range within about half a decade
    // (a language model's 1.5 to 3.5 nats) is labelled every 0.5 × 10^k with minor ticks every 0.1 × 10^k.
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double low, double high)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        bool dense = high - low <= 2;
        bool fine = high - low <= 0.6;
        for (int decade = (int)Math.Floor(low) - 1; decade <= (int)Math.Ceiling(high) + 1; decade++)
        {
            if (fine)
            {
                for (int tenths = 10; tenths < 100; tenths++)
                {
                    double value = tenths / 10.0 * Math.Pow(10, decade);
                    if (tenths % 5 == 0)
                        ticks.AddMajor(Math.Log10(value), value.ToString("G3", CultureInfo.InvariantCulture));
                    else
                        ticks.AddMinor(Math.Log10(value));
                }
                continue;
            }
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
