using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ModelGen;

/// <summary>
/// The wall-clock time of each kernel call site of a model generated with <c>[Model(TimeKernels = true)]</c>: its
/// forward and backward passes and its optimizer step, in the order they run, as the generated code calls them. A
/// site's time runs from the end of the call before it in the same pass (or the start of the pass) to the end of its
/// own call, so it includes any argument checks and slicing between the two; the sites of a pass add up to the pass.
/// Allocation-free while it records; not thread-safe (a model is used from one thread at a time).
/// </summary>
/// <remarks>
/// Where <c>torch.profiler</c> reports operators, this reports the generated model's own calls, named after the layer
/// that makes them and the kernel they call: <c>body.layers.3 · LinearForward</c>.
/// </remarks>
public sealed class KernelTimes
{
    private readonly string[] _sites;
    private readonly long[] _ticks;
    private readonly long[] _calls;
    private long _last;

    /// <summary>Called by generated code with the model's call sites, in the order they appear in it.</summary>
    /// <param name="sites">One name per call site.</param>
    public KernelTimes(string[] sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        _sites = sites;
        _ticks = new long[sites.Length];
        _calls = new long[sites.Length];
    }

    /// <summary>The call sites, in the order the generated code calls them within each pass.</summary>
    public IReadOnlyList<string> Sites => _sites;

    /// <summary>The time spent at call site <paramref name="site"/> since the model was made or <see cref="Reset"/>.</summary>
    public TimeSpan Time(int site) => Stopwatch.GetElapsedTime(0, _ticks[site]);

    /// <summary>How many calls were made at call site <paramref name="site"/>.</summary>
    public long Calls(int site) => _calls[site];

    /// <summary>The time of every call site together.</summary>
    public TimeSpan Total
    {
        get
        {
            long sum = 0;
            foreach (long ticks in _ticks) sum += ticks;
            return Stopwatch.GetElapsedTime(0, sum);
        }
    }

    /// <summary>Forgets every time and call count (for example after warm-up steps).</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
    }

    /// <summary>Called by generated code at the start of a pass: the next site's time starts here.</summary>
    public void Start() => _last = Stopwatch.GetTimestamp();

    /// <summary>Called by generated code after the call at <paramref name="site"/>: adds the time since the last mark or start.</summary>
    /// <param name="site">The call site's index in <see cref="Sites"/>.</param>
    public void Mark(int site)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[site] += now - _last;
        _calls[site]++;
        _last = now;
    }

    /// <summary>
    /// A table, one line per call site that was called: microseconds per <paramref name="per"/> (for example per
    /// training step: pass the number of steps), its share of the total, and the site's name, then the total.
    /// </summary>
    /// <param name="per">What to divide the times by, at least 1.</param>
    public string Format(long per)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(per, 1);
        double total = Total.TotalMicroseconds;
        var text = new StringBuilder();
        for (int i = 0; i < _sites.Length; i++)
        {
            if (_calls[i] == 0) continue;
            double us = Time(i).TotalMicroseconds;
            text.Append(CultureInfo.InvariantCulture, $"{us / per,9:F2} µs {(total > 0 ? 100 * us / total : 0),5:F1}%  {_sites[i]}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"{total / per,9:F2} µs 100.0%  total");
        return text.ToString();
    }
}
