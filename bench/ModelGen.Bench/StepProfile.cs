using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace ModelGen.Bench;

/// <summary>
/// Where one training step of the reference workload goes: the kernels of a step of the LayerNorm model (batch 64),
/// called in the order the generated TrainStep calls them (it reads the input where it is and writes the parameter
/// gradients afresh, so there is no zero-grad and no input copy), each timed in place with Stopwatch over 2,000 steps after
/// 1,000 warm-up steps, on 1 and 2 kernel threads. The figures behind bench/README.md's roofline table. The input is
/// 64 MNIST training images when data/mnist holds them (the first layer skips their blank pixels, as the generated
/// code does), else random values.
/// </summary>
internal static class StepProfile
{
    public static void Run()
    {
        const int B = 64;
        var rng = new Rng(1);
        // Every buffer is an arena, as the generated model's are: allocated once, starting on a cache line.
        Arena<float> Zeros(int n) => new(n);
        Arena<float> Random(int n) => BenchData.Uniform(ref rng, n, -1f, 1f);
        Arena<float> x = Zeros(B * 784), w1 = Random(256 * 784), b1 = Random(256), w2 = Random(256 * 256), b2 = Random(256);
        if (BenchData.MnistImages(B) is { } images) images.CopyTo(x.Span); else x = Random(B * 784);
        Arena<float> wh = Random(10 * 256), bh = Random(10), h0 = Random(B * 256), h1 = Random(B * 256), h2 = Random(B * 256);
        Arena<float> d0 = Random(B * 256), d1 = Random(B * 256), d2 = Random(B * 256), lnw = Random(256), lnb = Random(256);
        Arena<float> dw1 = Zeros(256 * 784), dw2 = Zeros(256 * 256), dwh = Zeros(10 * 256), db = Zeros(256), dlnw = Zeros(256), dlnb = Zeros(256);
        Arena<float> mean = Zeros(B), rstd = Zeros(B), logits = Random(B * 10), probs = Zeros(B * 10), dlogits = Zeros(B * 10);
        var geluDerivative = new Arena<double>(B * 256);
        int[] targets = new int[B];
        for (int i = 0; i < B; i++) targets[i] = i % 10;
        Arena<float> parameters = Random(MnistClassifier.ParameterCount), gradients = Random(MnistClassifier.ParameterCount);
        Arena<float> state = Zeros(2 * MnistClassifier.ParameterCount);
        var adamW = new AdamW();
        (string Part, Action Call)[] step =
        [
            ("products", () => Kernels.LinearForwardTransposed(h0.Span, x.Span, w1.Span, b1.Span, B, 784, 256, skipZeroInputs: true)),
            ("LayerNorm", () => Kernels.LayerNormForward(h1.Span, mean.Span, rstd.Span, h0.Span, lnw.Span, lnb.Span, B, 256, 1e-5f)),
            ("GELU", () => Kernels.GeluForward(h2.Span, geluDerivative.Span, h1.Span)),
            ("products", () => Kernels.LinearForward(h0.Span, h2.Span, w2.Span, b2.Span, B, 256, 256)),
            ("LayerNorm", () => Kernels.LayerNormForward(h1.Span, mean.Span, rstd.Span, h0.Span, lnw.Span, lnb.Span, B, 256, 1e-5f)),
            ("GELU", () => Kernels.GeluForward(h2.Span, geluDerivative.Span, h1.Span)),
            ("products", () => Kernels.LinearForward(h0.Span, h2.Span, w2.Span, b2.Span, B, 256, 256)),
            ("products", () => Kernels.LinearForward(logits.Span, h0.Span, wh.Span, bh.Span, B, 256, 10)),
            ("cross-entropy", () => Kernels.CrossEntropyForward(probs.Span, logits.Span, targets, B, 10)),
            ("cross-entropy", () => Kernels.CrossEntropyBackward(dlogits.Span, probs.Span, targets, B, 10)),
            ("products", () => Kernels.LinearBackwardWeight(dwh.Span, dlogits.Span, h0.Span, B, 256, 10, accumulate: false)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db.Slice(0, 10), dlogits.Span, B, 10, accumulate: false)),
            ("products", () => Kernels.LinearBackwardInput(d0.Span, dlogits.Span, wh.Span, B, 256, 10)),
            ("products", () => Kernels.LinearBackwardWeight(dw2.Span, d0.Span, h2.Span, B, 256, 256, accumulate: false)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db.Span, d0.Span, B, 256, accumulate: false)),
            ("products", () => Kernels.LinearBackwardInput(d1.Span, d0.Span, w2.Span, B, 256, 256)),
            ("GELU", () => Kernels.GeluBackward(d2.Span, d1.Span, geluDerivative.Span)),
            ("LayerNorm", () => Kernels.LayerNormBackward(d0.Span, dlnw.Span, dlnb.Span, d2.Span, h0.Span, mean.Span, rstd.Span, lnw.Span, B, 256, accumulate: false)),
            ("products", () => Kernels.LinearBackwardWeight(dw2.Span, d0.Span, h2.Span, B, 256, 256, accumulate: false)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db.Span, d0.Span, B, 256, accumulate: false)),
            ("products", () => Kernels.LinearBackwardInput(d1.Span, d0.Span, w2.Span, B, 256, 256)),
            ("GELU", () => Kernels.GeluBackward(d2.Span, d1.Span, geluDerivative.Span)),
            ("LayerNorm", () => Kernels.LayerNormBackward(d0.Span, dlnw.Span, dlnb.Span, d2.Span, h0.Span, mean.Span, rstd.Span, lnw.Span, B, 256, accumulate: false)),
            ("products", () => Kernels.LinearBackwardWeightTransposed(dw1.Span, d0.Span, x.Span, B, 784, 256, skipZeroInputs: true, accumulate: false)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db.Span, d0.Span, B, 256, accumulate: false)),
            ("AdamW", () => adamW.Step(parameters.Span, gradients.Span, state.Span)),
        ];
        var c = CultureInfo.InvariantCulture;
        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreads.Count = threads;
            var micros = new Dictionary<string, double>();
            double total = 0;
            for (int s = 0; s < 3000; s++)
            {
                foreach (var (part, call) in step)
                {
                    long start = Stopwatch.GetTimestamp();
                    call();
                    if (s < 1000) continue;
                    double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds / 2000;
                    micros[part] = micros.GetValueOrDefault(part) + us;
                    total += us;
                }
            }
            Console.WriteLine(string.Create(c, $"one step, {threads} thread{(threads == 1 ? "" : "s")}: {total:F0} µs"));
            foreach (var (part, us) in micros) Console.WriteLine(string.Create(c, $"  {part,-15} {us,6:F1} µs"));
        }
        KernelThreads.Count = 1;
    }
}
