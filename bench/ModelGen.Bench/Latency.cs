using System;
using System.Diagnostics;
using System.Globalization;

namespace ModelGen.Bench;

/// <summary>
/// Batch-1 inference latency of the reference model (eval mode) on 1 and 2 kernel threads over 20,000 single calls
/// after 5,000 warm-up calls: the mean (what the PyTorch reference reports for its own) and the median. bench/compare-pytorch.sh prints
/// it beside PyTorch's; <see cref="ModelBenchmarks"/> measures the same call with BenchmarkDotNet.
/// </summary>
internal static class Latency
{
    public static void Run()
    {
        var model = new MnistClassifierSingle(seed: 0);
        model.Eval();
        var rng = new Rng(1);
        var image = new float[784];
        for (int i = 0; i < image.Length; i++) image[i] = rng.NextFloat();
        var logits = new float[10];
        var times = new double[20_000];
        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreads.Count = threads;
            for (int i = 0; i < 5_000; i++) model.Forward(image, 1, logits);
            for (int i = 0; i < times.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                model.Forward(image, 1, logits);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            double mean = 0;
            foreach (double t in times) mean += t / times.Length;
            Array.Sort(times);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch-1 inference latency, {threads} thread{(threads == 1 ? "" : "s")}: mean {mean:F1} us, median {times[times.Length / 2]:F1} us"));
        }
        KernelThreads.Count = 1;
    }
}
