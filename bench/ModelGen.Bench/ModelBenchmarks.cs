using System;
using BenchmarkDotNet.Attributes;

namespace ModelGen.Bench;

/// <summary>
/// Forward, backward, a full training step (AdamW), and batch-1 inference on the reference workload, on 1 and 2
/// kernel threads (<see cref="KernelThreads.Count"/>; results are identical for both). The batch is 64 MNIST training
/// images when data/mnist holds them (the first layer skips their blank pixels), else random values.
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarks
{
    /// <summary>Kernel threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private readonly MnistClassifier _model = new(seed: 0);
    private readonly MnistClassifierPlain _plain = new(seed: 0);
    private readonly MnistClassifierSingle _single = new(seed: 0);
    private readonly AdamW _optimizer = new();
    private readonly AdamW _plainOptimizer = new();
    private readonly float[] _images = new float[64 * 784];
    private readonly int[] _labels = new int[64];
    private readonly float[] _logits = new float[64 * 10];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        if (BenchData.MnistImages(64) is float[] mnist) mnist.CopyTo(_images);
        else for (int i = 0; i < _images.Length; i++) _images[i] = rng.NextFloat();
        for (int i = 0; i < _labels.Length; i++) _labels[i] = rng.NextInt(10);
        _single.Eval();
        KernelThreads.Count = Threads;
        _model.Loss(_images, _labels, 64);
    }

    [GlobalCleanup]
    public void Cleanup() => KernelThreads.Count = 1;

    [Benchmark(Description = "forward, batch 64")]
    public void Forward() => _model.Forward(_images, 64, _logits);

    [Benchmark(Description = "backward, batch 64 (after one loss)")]
    public void Backward() => _model.Backward();

    [Benchmark(Description = "train step, batch 64 (LayerNorm)")]
    public float TrainStep() => _model.TrainStep(_images, _labels, 64, _optimizer);

    [Benchmark(Description = "train step, batch 64 (no LayerNorm)")]
    public float TrainStepPlain() => _plain.TrainStep(_images, _labels, 64, _plainOptimizer);

    [Benchmark(Description = "inference, batch 1")]
    public void InferenceBatchOne() => _single.Forward(_images.AsSpan(0, 784), 1, _logits.AsSpan(0, 10));
}
