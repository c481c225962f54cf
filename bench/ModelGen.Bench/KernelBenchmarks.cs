using System;
using BenchmarkDotNet.Attributes;

namespace ModelGen.Bench;

/// <summary>
/// The three products of a Linear layer at the workload's shapes. GFLOP/s = 2·rows·in·out / time.
/// (rows, in, out) = (64, 784, 256) and (64, 256, 256). The operands are arenas, starting on a cache line as a
/// generated model's buffers do.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    [Params(784, 256)]
    public int In { get; set; }

    /// <summary>Kernel threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private const int Rows = 64, Out = 256;
    private Arena<float> _x = null!, _w = null!, _b = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(2);
        Arena<float> Random(int n) => BenchData.Uniform(ref rng, n, -0.5f, 0.5f);
        _x = Random(Rows * In); _w = Random(Out * In); _b = Random(Out); _dy = Random(Rows * Out);
        _y = new(Rows * Out); _dx = new(Rows * In); _dw = new(Out * In);
        KernelThreads.Count = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => KernelThreads.Count = 1;

    [Benchmark(Description = "y = x·Wᵀ + b")]
    public void Forward() => Kernels.LinearForward(_y.Span, _x.Span, _w.Span, _b.Span, Rows, In, Out);

    [Benchmark(Description = "dX = dY·W")]
    public void BackwardInput() => Kernels.LinearBackwardInput(_dx.Span, _dy.Span, _w.Span, Rows, In, Out);

    [Benchmark(Description = "dW += dYᵀ·X")]
    public void BackwardWeight() => Kernels.LinearBackwardWeight(_dw.Span, _dy.Span, _x.Span, Rows, In, Out);
}

/// <summary>
/// The first layer's two products as the generated code calls them: the weight stored transposed, (784, 256), and
/// the zeros of the input skipped, on 64 MNIST training images (random sparse images when data/mnist is absent:
/// a fifth of the pixels inked). GFLOP/s count the dense product's operations.
/// </summary>
[MemoryDiagnoser]
public class FirstLayerBenchmarks
{
    /// <summary>Kernel threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private const int Rows = 64, In = 784, Out = 256;
    private Arena<float> _x = null!, _wT = null!, _b = null!, _y = null!, _dy = null!, _dwT = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(2);
        _wT = BenchData.Uniform(ref rng, In * Out, -0.5f, 0.5f); _b = BenchData.Uniform(ref rng, Out, -0.5f, 0.5f);
        _dy = BenchData.Uniform(ref rng, Rows * Out, -0.5f, 0.5f);
        _x = new(Rows * In); _y = new(Rows * Out); _dwT = new(In * Out);
        if (BenchData.MnistImages(Rows) is float[] images) images.AsSpan().CopyTo(_x.Span);
        else for (int i = 0; i < Rows * In; i++) _x.Span[i] = rng.NextInt(5) == 0 ? rng.NextFloat() : 0f;
        KernelThreads.Count = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => KernelThreads.Count = 1;

    [Benchmark(Description = "y = x·wT + b, skipping zeros")]
    public void Forward() => Kernels.LinearForwardTransposed(_y.Span, _x.Span, _wT.Span, _b.Span, Rows, In, Out, skipZeroInputs: true);

    [Benchmark(Description = "dWᵀ = Xᵀ·dY, skipping zeros")]
    public void BackwardWeight() => Kernels.LinearBackwardWeightTransposed(_dwT.Span, _dy.Span, _x.Span, Rows, In, Out, skipZeroInputs: true, accumulate: false);
}
