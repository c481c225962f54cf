using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace ModelGen.Samples;

/// <summary>
/// The live progress of training. On a terminal it redraws one line in place (<c>\r</c>) about ten times a second;
/// when the output is redirected (CI logs) it writes a plain line at every tenth of an epoch instead, so logs stay
/// readable. Quiet shows nothing. It only formats text: the trainer passes it the numbers.
/// </summary>
public sealed class ProgressDisplay
{
    private static readonly long s_redrawTicks = Stopwatch.Frequency / 10;

    private readonly TextWriter _output;
    private readonly bool _live;
    private readonly bool _quiet;
    private readonly string _rateUnit;
    private long _lastDraw;
    private int _lastTenth = -1;
    private int _drawnLength;

    /// <summary>
    /// Shows progress on <paramref name="output"/>: redrawn in place when <paramref name="live"/>, as periodic lines
    /// otherwise; the throughput is labelled <paramref name="rateUnit"/> (what one training example is, per second).
    /// </summary>
    public ProgressDisplay(TextWriter output, bool live, bool quiet, string rateUnit = "img/s")
    {
        _output = output;
        _live = live;
        _quiet = quiet;
        _rateUnit = rateUnit;
    }

    /// <summary>Called at the start of each epoch.</summary>
    public void StartEpoch()
    {
        _lastTenth = 0;
        _lastDraw = 0;
    }

    /// <summary>Reports that <paramref name="stepInEpoch"/> of <paramref name="stepsPerEpoch"/> steps of <paramref name="epoch"/> (1-based) are done.</summary>
    public void Update(int epoch, int epochs, int stepInEpoch, int stepsPerEpoch, float runningLoss, double examplesPerSecond, TimeSpan eta)
    {
        if (_quiet) return;
        if (_live)
        {
            long now = Stopwatch.GetTimestamp();
            if (stepInEpoch != stepsPerEpoch && now - _lastDraw < s_redrawTicks) return;
            _lastDraw = now;
            string line = Format(epoch, epochs, stepInEpoch, stepsPerEpoch, runningLoss, examplesPerSecond, eta, _rateUnit);
            // Pad over the previous line's tail, which may have been longer.
            _output.Write("\r" + line.PadRight(_drawnLength));
            _drawnLength = line.Length;
            _output.Flush();
        }
        else
        {
            int tenth = (int)(10L * stepInEpoch / stepsPerEpoch);
            if (tenth <= _lastTenth || tenth == 10) return; // the epoch summary reports the end
            _lastTenth = tenth;
            _output.WriteLine(Format(epoch, epochs, stepInEpoch, stepsPerEpoch, runningLoss, examplesPerSecond, eta, _rateUnit));
        }
    }

    /// <summary>Clears the live line so the next text starts on a clean line.</summary>
    public void Clear()
    {
        if (!_live || _quiet || _drawnLength == 0) return;
        _output.Write("\r" + new string(' ', _drawnLength) + "\r");
        _drawnLength = 0;
        _output.Flush();
    }

    /// <summary>The progress text, for example <c>epoch 2/5  step 412/938  loss 0.0841  52,310 img/s  ETA 0:41</c>.</summary>
    public static string Format(int epoch, int epochs, int stepInEpoch, int stepsPerEpoch, float runningLoss, double examplesPerSecond, TimeSpan eta,
        string rateUnit = "img/s")
    {
        var c = CultureInfo.InvariantCulture;
        int width = stepsPerEpoch.ToString(c).Length;
        return string.Create(c, $"epoch {epoch}/{epochs}  step {stepInEpoch.ToString(c).PadLeft(width)}/{stepsPerEpoch}  " +
            $"loss {runningLoss:0.0000}  {examplesPerSecond,7:#,0} {rateUnit}  ETA {FormatDuration(eta)}");
    }

    /// <summary>A duration as <c>m:ss</c>, or <c>h:mm:ss</c> from an hour on.</summary>
    public static string FormatDuration(TimeSpan time)
    {
        if (time < TimeSpan.Zero) time = TimeSpan.Zero;
        long seconds = (long)Math.Round(time.TotalSeconds);
        return seconds >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }
}
