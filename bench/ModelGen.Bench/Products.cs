using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;

namespace ModelGen.Bench;

/// <summary>
/// GFLOP/s of the three products of a Linear layer at the workload's shapes, on 1 and 2 threads, beside the core's
/// measured FMA peak: a quick table for bench/products.sh, which prints OpenBLAS's numbers for the same shapes in
/// the same run. Each figure is the best of 7 rounds of 500 calls after 300 warm-up calls (Stopwatch; the
/// BenchmarkDotNet benchmarks in KernelBenchmarks measure the same calls with statistics).
/// </summary>
internal static class Products
{
    public static void Run()
    {
        var c = CultureInfo.InvariantCulture;
        double peak = FmaPeak();
        Console.WriteLine(string.Create(c, $"FMA peak, one core: {peak:F0} GFLOP/s ({(Vector512.IsHardwareAccelerated ? "Vector512" : "Vector256")}, 12 independent chains)"));
        Console.WriteLine("product          rows×in×out    threads  µs/call   GFLOP/s  of peak");
        foreach (var (rows, k, n) in new[] { (64, 784, 256), (64, 256, 256), (64, 256, 10) })
        {
            var rng = new Rng(2);
            // Operands in arenas, as a generated model keeps them: starting on a cache line.
            Arena<float> Random(int length) => BenchData.Uniform(ref rng, length, -0.5f, 0.5f);
            Arena<float> x = Random(rows * k), w = Random(n * k), b = Random(n), dy = Random(rows * n);
            Arena<float> y = new(rows * n), dx = new(rows * k), dw = new(n * k);
            double flops = 2.0 * rows * k * n;
            foreach (int threads in new[] { 1, 2 })
            {
                KernelThreads.Count = threads;
                Report("y = x·Wᵀ + b", rows, k, n, threads, flops, peak, () => Kernels.LinearForward(y.Span, x.Span, w.Span, b.Span, rows, k, n));
                Report("dX = dY·W", rows, k, n, threads, flops, peak, () => Kernels.LinearBackwardInput(dx.Span, dy.Span, w.Span, rows, k, n));
                Report("dW += dYᵀ·X", rows, k, n, threads, flops, peak, () => Kernels.LinearBackwardWeight(dw.Span, dy.Span, x.Span, rows, k, n));
            }
        }
        MnistBatch(peak);
        KernelThreads.Count = 1;
    }

    // The first layer's forward and weight gradient again, on 64 MNIST training images (when data/mnist holds them),
    // without and with skipZeroInputs, then with the weight stored transposed ("wT"), as the generated code calls them
    // for a layer that reads the model's input. GFLOP/s count the dense product's operations, so a skipping call can
    // pass the peak.
    private static void MnistBatch(double peak)
    {
        const int rows = 64, k = 784, n = 256;
        if (BenchData.MnistImages(rows) is not float[] images)
        {
            Console.WriteLine($"(no {BenchData.TrainImages} found: the products on an MNIST batch are skipped; the MNIST trainer downloads it)");
            return;
        }
        var rng = new Rng(3);
        Arena<float> w = BenchData.Uniform(ref rng, n * k, -0.5f, 0.5f), dy = BenchData.Uniform(ref rng, rows * n, -0.5f, 0.5f);
        Arena<float> x = new(rows * k), b = new(n), y = new(rows * n), dw = new(n * k);
        images.CopyTo(x.Span);
        double flops = 2.0 * rows * k * n;
        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreads.Count = threads;
            Report("y, MNIST", rows, k, n, threads, flops, peak, () => Kernels.LinearForward(y.Span, x.Span, w.Span, b.Span, rows, k, n));
            Report("y, MNIST, skip", rows, k, n, threads, flops, peak, () => Kernels.LinearForward(y.Span, x.Span, w.Span, b.Span, rows, k, n, skipZeroInputs: true));
            Report("dW, MNIST", rows, k, n, threads, flops, peak, () => Kernels.LinearBackwardWeight(dw.Span, dy.Span, x.Span, rows, k, n));
            Report("dW, MNIST, skip", rows, k, n, threads, flops, peak, () => Kernels.LinearBackwardWeight(dw.Span, dy.Span, x.Span, rows, k, n, skipZeroInputs: true));
            Report("y, MNIST, skip, wT", rows, k, n, threads, flops, peak, () => Kernels.LinearForwardTransposed(y.Span, x.Span, w.Span, b.Span, rows, k, n, skipZeroInputs: true));
            Report("dWᵀ, MNIST, skip", rows, k, n, threads, flops, peak, () => Kernels.LinearBackwardWeightTransposed(dw.Span, dy.Span, x.Span, rows, k, n, skipZeroInputs: true));
        }
    }

    private static void Report(string name, int rows, int k, int n, int threads, double flops, double peak, Action call)
    {
        for (int i = 0; i < 300; i++) call();
        double best = double.MaxValue;
        for (int round = 0; round < 7; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 500; i++) call();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / 500);
        }
        double gflops = flops / best / 1e3;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-18} {rows,3}×{k,3}×{n,-4}  {threads,7}  {best,7:F1}  {gflops,8:F1}  {gflops / (peak * threads),6:P0}"));
    }

    /// <summary>GFLOP/s of 12 independent chains of 512-bit (else 256-bit) FMAs: what one core can do at most.</summary>
    private static double FmaPeak()
    {
        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            const long iterations = 20_000_000;
            long start = Stopwatch.GetTimestamp();
            float sink = Vector512.IsHardwareAccelerated ? Chains512(iterations) : Chains256(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
            best = Math.Max(best, iterations * 12 * lanes * 2 / seconds / 1e9 + sink * 0);
        }
        return best;
    }

    private static float Chains512(long iterations)
    {
        var a0 = Vector512.Create(1f); Vector512<float> a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector512<float> m = Vector512.Create(0.9999f), add = Vector512.Create(1e-4f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, add); a1 = Vector512.FusedMultiplyAdd(a1, m, add); a2 = Vector512.FusedMultiplyAdd(a2, m, add);
            a3 = Vector512.FusedMultiplyAdd(a3, m, add); a4 = Vector512.FusedMultiplyAdd(a4, m, add); a5 = Vector512.FusedMultiplyAdd(a5, m, add);
            a6 = Vector512.FusedMultiplyAdd(a6, m, add); a7 = Vector512.FusedMultiplyAdd(a7, m, add); a8 = Vector512.FusedMultiplyAdd(a8, m, add);
            a9 = Vector512.FusedMultiplyAdd(a9, m, add); a10 = Vector512.FusedMultiplyAdd(a10, m, add); a11 = Vector512.FusedMultiplyAdd(a11, m, add);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    private static float Chains256(long iterations)
    {
        var a0 = Vector256.Create(1f); Vector256<float> a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector256<float> m = Vector256.Create(0.9999f), add = Vector256.Create(1e-4f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, add); a1 = Vector256.FusedMultiplyAdd(a1, m, add); a2 = Vector256.FusedMultiplyAdd(a2, m, add);
            a3 = Vector256.FusedMultiplyAdd(a3, m, add); a4 = Vector256.FusedMultiplyAdd(a4, m, add); a5 = Vector256.FusedMultiplyAdd(a5, m, add);
            a6 = Vector256.FusedMultiplyAdd(a6, m, add); a7 = Vector256.FusedMultiplyAdd(a7, m, add); a8 = Vector256.FusedMultiplyAdd(a8, m, add);
            a9 = Vector256.FusedMultiplyAdd(a9, m, add); a10 = Vector256.FusedMultiplyAdd(a10, m, add); a11 = Vector256.FusedMultiplyAdd(a11, m, add);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
