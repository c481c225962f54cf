using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace ModelGen.Bench;

/// <summary>
/// Where one training step of the reference workload goes: the kernels of a step of the LayerNorm model (batch 64),
/// called in the order the generated code calls them, each timed in place with Stopwatch over 2,000 steps after
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
        float[] Random(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        float[] x = BenchData.MnistImages(B) ?? Random(B * 784), input = new float[B * 784], w1 = Random(256 * 784), b1 = Random(256), w2 = Random(256 * 256), b2 = Random(256);
        float[] wh = Random(10 * 256), bh = Random(10), h0 = Random(B * 256), h1 = Random(B * 256), h2 = Random(B * 256);
        float[] d0 = Random(B * 256), d1 = Random(B * 256), d2 = Random(B * 256), lnw = Random(256), lnb = Random(256);
        float[] dw1 = new float[256 * 784], dw2 = new float[256 * 256], dwh = new float[10 * 256], db = new float[256], dlnw = new float[256], dlnb = new float[256];
        float[] mean = new float[B], rstd = new float[B], logits = Random(B * 10), probs = new float[B * 10], dlogits = new float[B * 10];
        double[] geluDerivative = new double[B * 256];
        int[] targets = new int[B];
        for (int i = 0; i < B; i++) targets[i] = i % 10;
        float[] parameters = Random(MnistClassifier.ParameterCount), gradients = Random(MnistClassifier.ParameterCount);
        float[] state = new float[2 * MnistClassifier.ParameterCount];
        var adamW = new AdamW();
        (string Part, Action Call)[] step =
        [
            ("zero-grad", () => Kernels.Clear(gradients)),
            ("input copy", () => x.AsSpan().CopyTo(input)),
            ("products", () => Kernels.LinearForward(h0, input, w1, b1, B, 784, 256, skipZeroInputs: true)),
            ("LayerNorm", () => Kernels.LayerNormForward(h1, mean, rstd, h0, lnw, lnb, B, 256, 1e-5f)),
            ("GELU", () => Kernels.GeluForward(h2, geluDerivative, h1)),
            ("products", () => Kernels.LinearForward(h0, h2, w2, b2, B, 256, 256)),
            ("LayerNorm", () => Kernels.LayerNormForward(h1, mean, rstd, h0, lnw, lnb, B, 256, 1e-5f)),
            ("GELU", () => Kernels.GeluForward(h2, geluDerivative, h1)),
            ("products", () => Kernels.LinearForward(h0, h2, w2, b2, B, 256, 256)),
            ("products", () => Kernels.LinearForward(logits, h0, wh, bh, B, 256, 10)),
            ("cross-entropy", () => Kernels.CrossEntropyForward(probs, logits, targets, B, 10)),
            ("cross-entropy", () => Kernels.CrossEntropyBackward(dlogits, probs, targets, B, 10)),
            ("products", () => Kernels.LinearBackwardWeight(dwh, dlogits, h0, B, 256, 10)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db.AsSpan(0, 10), dlogits, B, 10)),
            ("products", () => Kernels.LinearBackwardInput(d0, dlogits, wh, B, 256, 10)),
            ("products", () => Kernels.LinearBackwardWeight(dw2, d0, h2, B, 256, 256)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db, d0, B, 256)),
            ("products", () => Kernels.LinearBackwardInput(d1, d0, w2, B, 256, 256)),
            ("GELU", () => Kernels.GeluBackward(d2, d1, geluDerivative)),
            ("LayerNorm", () => Kernels.LayerNormBackward(d0, dlnw, dlnb, d2, h0, mean, rstd, lnw, B, 256)),
            ("products", () => Kernels.LinearBackwardWeight(dw2, d0, h2, B, 256, 256)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db, d0, B, 256)),
            ("products", () => Kernels.LinearBackwardInput(d1, d0, w2, B, 256, 256)),
            ("GELU", () => Kernels.GeluBackward(d2, d1, geluDerivative)),
            ("LayerNorm", () => Kernels.LayerNormBackward(d0, dlnw, dlnb, d2, h0, mean, rstd, lnw, B, 256)),
            ("products", () => Kernels.LinearBackwardWeight(dw1, d0, input, B, 784, 256, skipZeroInputs: true)),
            ("bias gradients", () => Kernels.LinearBackwardBias(db, d0, B, 256)),
            ("AdamW", () => adamW.Step(parameters, gradients, state)),
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
