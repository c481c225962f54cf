using BenchmarkDotNet.Attributes;

namespace ModelGen.Bench;

/// <summary>
/// The kernels around the products at the workload's sizes: GELU (plain, and with gelu′ saved by the forward for the
/// backward, as the generated code does) and LayerNorm over a 64 × 256 activation, and one
/// AdamW step over the model's 336,138 parameters, on 1 and 2 kernel threads. The buffers are arenas, starting on a
/// cache line as a generated model's are.
/// </summary>
[MemoryDiagnoser]
public class LayerKernelBenchmarks
{
    private const int Rows = 64, Dim = 256, Parameters = 336_138;

    /// <summary>Kernel threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private Arena<float> _x = null!, _y = null!, _dy = null!, _dx = null!, _weight = null!, _bias = null!, _dweight = null!, _dbias = null!;
    private Arena<float> _mean = null!, _rstd = null!, _parameters = null!, _gradients = null!, _state = null!;
    private Arena<double> _derivative = null!;
    private readonly AdamW _adamW = new();

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(3);
        Arena<float> Random(int n)
        {
            var arena = new Arena<float>(n);
            foreach (ref float value in arena.Span) value = rng.NextNormal();
            return arena;
        }
        _x = Random(Rows * Dim); _dy = Random(Rows * Dim); _weight = Random(Dim); _bias = Random(Dim);
        _y = new(Rows * Dim); _dx = new(Rows * Dim); _dweight = new(Dim); _dbias = new(Dim);
        _mean = new(Rows); _rstd = new(Rows); _derivative = new(Rows * Dim);
        _parameters = Random(Parameters); _gradients = Random(Parameters); _state = new(2 * Parameters);
        KernelThreads.Count = Threads;
        Kernels.LayerNormForward(_y.Span, _mean.Span, _rstd.Span, _x.Span, _weight.Span, _bias.Span, Rows, Dim, 1e-5f);
        Kernels.GeluForward(_y.Span, _derivative.Span, _x.Span);
    }

    [GlobalCleanup]
    public void Cleanup() => KernelThreads.Count = 1;

    [Benchmark(Description = "GELU forward, 64×256")]
    public void GeluForward() => Kernels.GeluForward(_y.Span, _x.Span);

    [Benchmark(Description = "GELU backward, 64×256")]
    public void GeluBackward() => Kernels.GeluBackward(_dx.Span, _dy.Span, _x.Span);

    [Benchmark(Description = "GELU forward saving gelu′, 64×256")]
    public void GeluForwardSaving() => Kernels.GeluForward(_y.Span, _derivative.Span, _x.Span);

    [Benchmark(Description = "GELU backward from saved gelu′, 64×256")]
    public void GeluBackwardSaved() => Kernels.GeluBackward(_dx.Span, _dy.Span, _derivative.Span);

    [Benchmark(Description = "LayerNorm forward, 64×256")]
    public void LayerNormForward() => Kernels.LayerNormForward(_y.Span, _mean.Span, _rstd.Span, _x.Span, _weight.Span, _bias.Span, Rows, Dim, 1e-5f);

    [Benchmark(Description = "LayerNorm backward, 64×256")]
    public void LayerNormBackward() => Kernels.LayerNormBackward(_dx.Span, _dweight.Span, _dbias.Span, _dy.Span, _x.Span, _mean.Span, _rstd.Span, _weight.Span, Rows, Dim);

    [Benchmark(Description = "AdamW step, 336,138 parameters")]
    public void AdamWStep() => _adamW.Step(_parameters.Span, _gradients.Span, _state.Span);
}
