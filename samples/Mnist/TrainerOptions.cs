using System;
using System.Collections.Generic;

namespace ModelGen.Samples.Mnist;

/// <summary>The optimizers the trainer offers.</summary>
public enum OptimizerKind
{
    /// <summary><c>torch.optim.AdamW</c> (betas 0.9/0.999, eps 1e-8, decoupled weight decay).</summary>
    AdamW,

    /// <summary><c>torch.optim.SGD</c> with momentum.</summary>
    Sgd,
}

/// <summary>Everything <c>mnist train</c> is told; the defaults are the documented ones.</summary>
public sealed record TrainerOptions
{
    /// <summary>Default <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 5;

    /// <summary>Default peak learning rate.</summary>
    public const float DefaultLearningRate = 1e-3f;

    /// <summary>Default AdamW weight decay (PyTorch's AdamW default).</summary>
    public const float DefaultAdamWWeightDecay = 0.01f;

    /// <summary>Default SGD momentum.</summary>
    public const float DefaultMomentum = 0.9f;

    /// <summary>Default schedule.</summary>
    public const LearningRateSchedule DefaultSchedule = LearningRateSchedule.Cosine;

    /// <summary>Epochs of the whole run (a resumed run continues until this many are done).</summary>
    public int Epochs { get; init; } = DefaultEpochs;

    /// <summary>Stop after this many epochs in this invocation, leaving a checkpoint to resume; null runs to <see cref="Epochs"/>.</summary>
    public int? StopAfter { get; init; }

    /// <summary>The (peak) learning rate.</summary>
    public float LearningRate { get; init; } = DefaultLearningRate;

    /// <summary>The learning-rate schedule over the run.</summary>
    public LearningRateSchedule Schedule { get; init; } = DefaultSchedule;

    /// <summary>The optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;

    /// <summary>SGD momentum (ignored by AdamW).</summary>
    public float Momentum { get; init; } = DefaultMomentum;

    /// <summary>Weight decay; null means the optimizer's default (AdamW 0.01, SGD 0).</summary>
    public float? WeightDecay { get; init; }

    /// <summary>Rows per training step, 1 to <see cref="MnistClassifier.BatchSize"/>.</summary>
    public int Batch { get; init; } = MnistClassifier.BatchSize;

    /// <summary>The run's seed: initialisation and every epoch's shuffle derive from it.</summary>
    public int Seed { get; init; }

    /// <summary>Threads the kernels run on (<see cref="KernelThreads.Count"/>); results are identical for every count.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Which data set.</summary>
    public DatasetKind Dataset { get; init; } = DatasetKind.Mnist;

    /// <summary>A folder that already holds the four IDX files (plain or .gz); null to use the cache.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Where downloaded data is kept; null for the data set's default (data/mnist, data/fashion-mnist).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>The parent folder of run folders.</summary>
    public string OutputDirectory { get; init; } = "runs";

    /// <summary>A checkpoint to continue from, or null.</summary>
    public string? Resume { get; init; }

    /// <summary>Train on only the first this-many training images; null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Skip loss.png.</summary>
    public bool NoPlot { get; init; }

    /// <summary>No progress display; epoch summaries and the result are still printed.</summary>
    public bool Quiet { get; init; }

    /// <summary>The names of the options given on the command line (without dashes), so a resume can tell a choice from a default.</summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The weight decay in effect: <see cref="WeightDecay"/> or the optimizer's default.</summary>
    public float EffectiveWeightDecay => WeightDecay ?? (Optimizer == OptimizerKind.AdamW ? DefaultAdamWWeightDecay : 0f);
}

/// <summary>Everything <c>mnist eval</c> is told.</summary>
public sealed record EvalOptions
{
    /// <summary>The weights or checkpoint file to evaluate.</summary>
    public required string Weights { get; init; }

    /// <summary>Which data set; null to take it from the file's metadata (else MNIST).</summary>
    public DatasetKind? Dataset { get; init; }

    /// <summary>A folder that already holds the IDX files; null to use the cache.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Where downloaded data is kept; null for the data set's default.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Evaluate only the first this-many test images; null for all.</summary>
    public int? Limit { get; init; }
}
