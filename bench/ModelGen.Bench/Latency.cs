using System;
using System.Diagnostics;
using System.Globalization;

namespace ModelGen.Bench;

/// <summary>
/// Batch-1 inference latency of the reference model (eval mode) on 1 and 2 kernel threads over 20,000 single calls
/// after 5,000 warm-up calls: the mean (what the PyTorch reference reports for its own) and the median. bench/compare-pytorch.sh prints
/// it beside PyTorch's; <see cref="ModelBenchmarks"/> measures the same call with BenchmarkDotNet. Like the PyTorch
/// reference, the calls go through the first 2,000 MNIST test images (from data/mnist, which the trainer downloads);
/// without them, random images with no zero pixels, which the first layer cannot skip.
/// </summary>
internal static class Latency
{
    public static void Run()
    {
        var model = new MnistClassifierSingle(seed: 0);
        model.Eval();
        float[] images = TestImages(2_000);
        int count = images.Length / 784;
        var logits = new float[10];
        var times = new double[20_000];
        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreads.Count = threads;
            for (int i = 0; i < 5_000; i++) model.Forward(images.AsSpan(i % count * 784, 784), 1, logits);
            for (int i = 0; i < times.Length; i++)
            {
                ReadOnlySpan<float> image = images.AsSpan(i % count * 784, 784);
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

    private static float[] TestImages(int count)
    {
        if (BenchData.MnistTestImages(count) is float[] images) return images;
        Console.WriteLine($"(no {BenchData.TestImages} found: random images instead; the MNIST trainer downloads the data)");
        var rng = new Rng(1);
        var random = new float[count * 784];
        for (int i = 0; i < random.Length; i++) random[i] = rng.NextFloat();
        return random;
    }
}
