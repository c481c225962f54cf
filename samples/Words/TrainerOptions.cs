using System;
using System.Collections.Generic;

namespace ModelGen.Samples.Words;

/// <summary>Everything <c>words train</c> is told; the defaults are the documented ones.</summary>
public sealed record TrainerOptions
{
    /// <summary>Default <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 10;

    /// <summary>Default peak learning rate.</summary>
    public const float DefaultLearningRate = 3e-3f;

    /// <summary>Default AdamW weight decay (PyTorch's AdamW default).</summary>
    public const float DefaultWeightDecay = 0.01f;

    /// <summary>Default sampling temperature.</summary>
    public const float DefaultTemperature = 0.8f;

    /// <summary>Default number of words sampled at the end.</summary>
    public const int DefaultSamples = 20;

    /// <summary>Epochs of the run.</summary>
    public int Epochs { get; init; } = DefaultEpochs;

    /// <summary>The peak learning rate of AdamW.</summary>
    public float LearningRate { get; init; } = DefaultLearningRate;

    /// <summary>The learning-rate schedule over the run.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public float WeightDecay { get; init; } = DefaultWeightDecay;

    /// <summary>Contexts per training step, 1 to <see cref="WordModelShape.BatchSize"/>.</summary>
    public int Batch { get; init; } = WordModelShape.BatchSize;

    /// <summary>Dropout's p: <see cref="WordModelShape.DropoutP"/> (<see cref="WordModel"/>) or 0 (<see cref="WordModelNoDropout"/>).</summary>
    public double Dropout { get; init; } = WordModelShape.DropoutP;

    /// <summary>The run's seed: initialisation, Dropout masks, every epoch's shuffle and the samples derive from it.</summary>
    public int Seed { get; init; }

    /// <summary>The word list.</summary>
    public string WordsPath { get; init; } = WordList.DefaultPath;

    /// <summary>Train on only this many training words, spread evenly through the alphabet (<see cref="WordList.Take"/>); null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Measure only this many validation and this many test words, spread evenly; null for all.</summary>
    public int? HeldOutLimit { get; init; }

    /// <summary>The temperature of the words sampled at the end.</summary>
    public float Temperature { get; init; } = DefaultTemperature;

    /// <summary>How many words to sample at the end.</summary>
    public int Samples { get; init; } = DefaultSamples;

    /// <summary>The parent folder of run folders.</summary>
    public string OutputDirectory { get; init; } = "runs";

    /// <summary>Skip loss.png.</summary>
    public bool NoPlot { get; init; }

    /// <summary>No progress display; epoch summaries and the result are still printed.</summary>
    public bool Quiet { get; init; }
}

/// <summary>Everything <c>words sample</c> is told.</summary>
public sealed record SampleOptions
{
    /// <summary>The model.safetensors (or checkpoint.safetensors) to sample from.</summary>
    public required string Weights { get; init; }

    /// <summary>How many words.</summary>
    public int Count { get; init; } = TrainerOptions.DefaultSamples;

    /// <summary>The sampling temperature.</summary>
    public float Temperature { get; init; } = TrainerOptions.DefaultTemperature;

    /// <summary>The seed of the draws.</summary>
    public int Seed { get; init; }

    /// <summary>Letters every sampled word starts with.</summary>
    public string Prefix { get; init; } = "";
}
