using BenchmarkDotNet.Attributes;

namespace ModelGen.Bench;

/// <summary>
/// The kernels around the products at the workload's sizes: GELU (plain, and with gelu′ saved by the forward for the
/// backward, as the generated code does) and LayerNorm over a 64 × 256 activation, and one
/// AdamW step over the model's 336,138 parameters, on 1 and 2 kernel threads.
/// </summary>
[MemoryDiagnoser]
public class LayerKernelBenchmarks
{
    private const int Rows = 64, Dim = 256, Parameters = 336_138;

    /// <summary>Kernel threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _x = null!, _y = null!, _dy = null!, _dx = null!, _weight = null!, _bias = null!, _dweight = null!, _dbias = null!;
    private float[] _mean = null!, _rstd = null!, _parameters = null!, _gradients = null!, _state = null!;
    private double[] _derivative = null!;
    private readonly AdamW _adamW = new();

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(3);
        float[] Random(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = rng.NextNormal(); return a; }
        _x = Random(Rows * Dim); _dy = Random(Rows * Dim); _weight = Random(Dim); _bias = Random(Dim);
        _y = new float[Rows * Dim]; _dx = new float[Rows * Dim]; _dweight = new float[Dim]; _dbias = new float[Dim];
        _mean = new float[Rows]; _rstd = new float[Rows]; _derivative = new double[Rows * Dim];
        _parameters = Random(Parameters); _gradients = Random(Parameters); _state = new float[2 * Parameters];
        KernelThreads.Count = Threads;
        Kernels.LayerNormForward(_y, _mean, _rstd, _x, _weight, _bias, Rows, Dim, 1e-5f);
        Kernels.GeluForward(_y, _derivative, _x);
    }

    [GlobalCleanup]
    public void Cleanup() => KernelThreads.Count = 1;

    [Benchmark(Description = "GELU forward, 64×256")]
    public void GeluForward() => Kernels.GeluForward(_y, _x);

    [Benchmark(Description = "GELU backward, 64×256")]
    public void GeluBackward() => Kernels.GeluBackward(_dx, _dy, _x);

    [Benchmark(Description = "GELU forward saving gelu′, 64×256")]
    public void GeluForwardSaving() => Kernels.GeluForward(_y, _derivative, _x);

    [Benchmark(Description = "GELU backward from saved gelu′, 64×256")]
    public void GeluBackwardSaved() => Kernels.GeluBackward(_dx, _dy, _derivative);

    [Benchmark(Description = "LayerNorm forward, 64×256")]
    public void LayerNormForward() => Kernels.LayerNormForward(_y, _mean, _rstd, _x, _weight, _bias, Rows, Dim, 1e-5f);

    [Benchmark(Description = "LayerNorm backward, 64×256")]
    public void LayerNormBackward() => Kernels.LayerNormBackward(_dx, _dweight, _dbias, _dy, _x, _mean, _rstd, _weight, Rows, Dim);

    [Benchmark(Description = "AdamW step, 336,138 parameters")]
    public void AdamWStep() => _adamW.Step(_parameters, _gradients, _state);
}
