using System;
using BenchmarkDotNet.Attributes;
using ModelGen.IO;

namespace ModelGen.Bench;

/// <summary>
/// Forward, backward, a full training step (AdamW), the same step with its batch gathered as the trainer gathers it,
/// and batch-1 inference on the reference workload, on 1 and 2 kernel threads (<see cref="KernelThreads.Count"/>;
/// results are identical for both). The batch is 64 MNIST training images when data/mnist holds them (the first layer
/// skips their blank pixels), else random values.
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

    // For the step with its batch: every training image as bytes, the rows of this batch and the next, the batch.
    private byte[] _pixels = [];
    private readonly int[] _rows = new int[64], _nextRows = new int[64];
    private readonly Arena<float> _batch = new(64 * 784);
    private Rng _pick = new(5);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        if (BenchData.MnistImages(64) is float[] mnist) mnist.CopyTo(_images);
        else for (int i = 0; i < _images.Length; i++) _images[i] = rng.NextFloat();
        for (int i = 0; i < _labels.Length; i++) _labels[i] = rng.NextInt(10);
        if (BenchData.MnistTrainPixels() is byte[] pixels) _pixels = pixels;
        else
        {
            _pixels = new byte[1000 * 784];
            for (int i = 0; i < _pixels.Length; i++) _pixels[i] = (byte)rng.NextInt(256);
        }
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

    /// <summary>
    /// What the trainer does each step: the next batch's random rows picked, this batch's images gathered and scaled
    /// from bytes (<see cref="Idx.GatherScaled(ReadOnlySpan{byte}, int, ReadOnlySpan{int}, Span{float}, ReadOnlySpan{int})"/>,
    /// which also requests the next batch's rows), then the step; its allocations are the batching's and the step's.
    /// </summary>
    [Benchmark(Description = "train step with its batch gathered (LayerNorm)")]
    public float TrainStepWithBatch()
    {
        _nextRows.CopyTo(_rows, 0);
        int count = _pixels.Length / 784;
        for (int i = 0; i < _nextRows.Length; i++) _nextRows[i] = _pick.NextInt(count);
        Idx.GatherScaled(_pixels, 784, _rows, _batch.Span, _nextRows);
        return _model.TrainStep(_batch.Span, _labels, 64, _optimizer);
    }

    [Benchmark(Description = "train step, batch 64 (no LayerNorm)")]
    public float TrainStepPlain() => _plain.TrainStep(_images, _labels, 64, _plainOptimizer);

    [Benchmark(Description = "inference, batch 1")]
    public void InferenceBatchOne() => _single.Forward(_images.AsSpan(0, 784), 1, _logits.AsSpan(0, 10));
}
