using BenchmarkDotNet.Attributes;

namespace ModelGen.Bench;

/// <summary>
/// The three products of a Linear layer at the workload's shapes. GFLOP/s = 2·rows·in·out / time.
/// (rows, in, out) = (64, 784, 256) and (64, 256, 256).
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
    private float[] _x = null!, _w = null!, _b = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(2);
        float[] Random(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = rng.NextFloat() - 0.5f; return a; }
        _x = Random(Rows * In); _w = Random(Out * In); _b = Random(Out); _dy = Random(Rows * Out);
        _y = new float[Rows * Out]; _dx = new float[Rows * In]; _dw = new float[Out * In];
        KernelThreads.Count = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => KernelThreads.Count = 1;

    [Benchmark(Description = "y = x·Wᵀ + b")]
    public void Forward() => Kernels.LinearForward(_y, _x, _w, _b, Rows, In, Out);

    [Benchmark(Description = "dX = dY·W")]
    public void BackwardInput() => Kernels.LinearBackwardInput(_dx, _dy, _w, Rows, In, Out);

    [Benchmark(Description = "dW += dYᵀ·X")]
    public void BackwardWeight() => Kernels.LinearBackwardWeight(_dw, _dy, _x, Rows, In, Out);
}
