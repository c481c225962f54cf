using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelGen.IO;

namespace ModelGen.Bench;

/// <summary>
/// Where one training step of the reference workload goes, timed in place: the trainer's model generated with
/// <c>[Model(TimeKernels = true)]</c> (<see cref="MnistClassifierTimed"/>) trains with AdamW on batches of 64 random
/// MNIST training images, each gathered and scaled as the trainer does it (the next batch's rows requested before each
/// step), so every kernel finds the caches as the kernels and the optimizer step before it left them. 1,000 warm-up
/// steps, then 2,000 timed, on 1 and 2 kernel threads. Without data/mnist, one batch of random values is used for
/// every step (the first layer then has no zeros to skip). The figures behind bench/README.md's roofline table.
/// </summary>
internal static class StepProfile
{
    private const int Batch = 64, Pixels = 784, Warmup = 1000, Steps = 2000;

    public static void Run()
    {
        byte[]? train = BenchData.MnistTrainPixels();
        if (train is null) Console.WriteLine($"{BenchData.TrainImages} not found: timing one batch of random values for every step.");
        var c = CultureInfo.InvariantCulture;
        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreads.Count = threads;
            var model = new MnistClassifierTimed(seed: 0);
            var adamW = new AdamW();
            var rng = new Rng(1);
            var x = BenchData.Uniform(ref rng, Batch * Pixels, 0f, 1f);
            int[] labels = new int[Batch], rows = new int[Batch], next = new int[Batch];
            int count = train is null ? 0 : train.Length / Pixels;
            Pick(next);
            long gather = 0, stepTicks = 0;
            for (int s = 0; s < Warmup + Steps; s++)
            {
                if (s == Warmup)
                {
                    model.KernelTimes.Reset();
                    gather = stepTicks = 0;
                }
                long start = Stopwatch.GetTimestamp();
                if (train is not null)
                {
                    next.CopyTo(rows, 0);
                    Pick(next);
                    Idx.GatherScaled(train, Pixels, rows, x.Span, next);
                }
                for (int i = 0; i < Batch; i++) labels[i] = (rows[i] + i) % 10; // any classes: they do not change what a step costs
                long stepStart = Stopwatch.GetTimestamp();
                gather += stepStart - start;
                model.TrainStep(x.Span, labels, Batch, adamW);
                stepTicks += Stopwatch.GetTimestamp() - stepStart;
            }

            KernelTimes times = model.KernelTimes;
            double kernels = times.Total.TotalMicroseconds / Steps, step = Stopwatch.GetElapsedTime(0, stepTicks).TotalMicroseconds / Steps;
            double batch = Stopwatch.GetElapsedTime(0, gather).TotalMicroseconds / Steps;
            // The step's own clock against the sum of its kernel calls: the difference is what runs between the calls.
            Console.WriteLine(string.Create(c, $"one step, {threads} thread{(threads == 1 ? "" : "s")}: {kernels:F1} µs in its kernel calls ({step:F1} µs by the clock), and {batch:F1} µs to gather the batch"));
            var parts = new Dictionary<string, double>();
            for (int i = 0; i < times.Sites.Count; i++)
            {
                string part = Part(times.Sites[i]);
                parts[part] = parts.GetValueOrDefault(part) + times.Time(i).TotalMicroseconds / Steps;
            }
            foreach (var (part, us) in parts) Console.WriteLine(string.Create(c, $"  {part,-15} {us,6:F1} µs"));
            Console.WriteLine("each call:");
            Console.WriteLine(times.Format(Steps));
            Console.WriteLine();

            void Pick(int[] picked)
            {
                for (int i = 0; i < picked.Length; i++) picked[i] = count > 0 ? rng.NextInt(count) : 0;
            }
        }
        KernelThreads.Count = 1;
    }

    // The roofline table's groups, from a call site's kernel (the name after " · ").
    private static string Part(string site)
    {
        string kernel = site[(site.LastIndexOf(" · ", StringComparison.Ordinal) + 3)..];
        return kernel switch
        {
            _ when kernel.StartsWith("Linear", StringComparison.Ordinal) => "products",
            _ when kernel.StartsWith("LayerNorm", StringComparison.Ordinal) => "LayerNorm",
            _ when kernel.StartsWith("Gelu", StringComparison.Ordinal) => "GELU",
            _ when kernel.StartsWith("CrossEntropy", StringComparison.Ordinal) => "cross-entropy",
            "Step" => "AdamW",
            // A run of row-wise layers (products, norms, GELU) timed as one call: KernelThreads.ForRowBlocks.
            "ForRowBlocks" => "row-wise runs",
            _ => kernel,
        };
    }
}
