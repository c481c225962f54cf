using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>
/// What every generated model offers, whatever its input type. A generated model implements
/// <see cref="IModel{TInput}"/> with <c>float</c> inputs, or <c>int</c> inputs when it starts with an Embedding.
/// </summary>
public interface IModel
{
    /// <summary>The most rows one call may take (the declared batch size).</summary>
    int BatchSize { get; }

    /// <summary>Input values per row: the flattened input size, or the sequence length for token models.</summary>
    int InputSize { get; }

    /// <summary>Output values per row (for a classifier, the number of classes).</summary>
    int OutputSize { get; }

    /// <summary>Number of classes: the size of the last dimension of the output, which cross-entropy reads as logits.</summary>
    int ClassCount { get; }

    /// <summary>Targets per row: <see cref="OutputSize"/> / <see cref="ClassCount"/> (1 for a plain classifier).</summary>
    int TargetsPerRow { get; }

    /// <summary>True in train mode (Dropout active), false in eval mode. A new model starts in train mode, as in PyTorch.</summary>
    bool IsTraining { get; }

    /// <summary>Switches to train mode, as <c>module.train()</c>.</summary>
    void Train();

    /// <summary>Switches to eval mode, as <c>module.eval()</c>: Dropout becomes the identity.</summary>
    void Eval();

    /// <summary>
    /// Every parameter, one contiguous arena; <see cref="ParameterTable"/> says where each tensor lives and whether it
    /// is stored transposed (<see cref="ParameterInfo.StoredTransposed"/>: the weight of a Linear that reads the model's
    /// input). <see cref="ParameterInfo.CopyTo"/> and <see cref="ParameterInfo.CopyFrom"/> move a tensor in PyTorch's layout.
    /// </summary>
    Span<float> Parameters { get; }

    /// <summary>The gradient of every parameter, laid out exactly as <see cref="Parameters"/>.</summary>
    Span<float> Gradients { get; }

    /// <summary>The optimizer's per-parameter state (moments), laid out as <see cref="Optimizer.StateFloatsPerParameter"/> says.</summary>
    Span<float> OptimizerState { get; }

    /// <summary>Every parameter tensor with its PyTorch-style name, shape and offset in <see cref="Parameters"/>.</summary>
    IReadOnlyList<ParameterInfo> ParameterTable { get; }

    /// <summary>The random generator that draws Dropout masks; get and set it to save or restore a run's position.</summary>
    Rng Random { get; set; }

    /// <summary>Sets every gradient to zero, as <c>optimizer.zero_grad()</c>.</summary>
    void ZeroGrad();

    /// <summary>Back-propagates the mean cross-entropy of the last <c>Loss</c> call, adding into <see cref="Gradients"/>.</summary>
    void Backward();

    /// <summary>Applies one optimizer step to the parameters from the current gradients.</summary>
    void Step(Optimizer optimizer);
}

/// <summary>A generated model whose rows are made of <typeparamref name="TInput"/> values.</summary>
public interface IModel<TInput> : IModel where TInput : unmanaged
{
    /// <summary>Runs the model on <paramref name="rows"/> rows (1 to <see cref="IModel.BatchSize"/>) and writes rows × OutputSize values.</summary>
    void Forward(ReadOnlySpan<TInput> input, int rows, Span<float> output);

    /// <summary>Forward, then the mean cross-entropy against <paramref name="targets"/> (rows × TargetsPerRow class indices); keeps what <see cref="IModel.Backward"/> needs.</summary>
    float Loss(ReadOnlySpan<TInput> input, ReadOnlySpan<int> targets, int rows);

    /// <summary>
    /// One training step: zero-grad, forward, cross-entropy, backward, optimizer step. Returns the loss before the update.
    /// The passes read <paramref name="input"/> where it is, without the copy <see cref="Loss"/> keeps for a later
    /// <see cref="IModel.Backward"/>, so no Backward call can follow this one.
    /// </summary>
    float TrainStep(ReadOnlySpan<TInput> input, ReadOnlySpan<int> targets, int rows, Optimizer optimizer);

    /// <summary>Writes the arg-max class of every target position (rows × TargetsPerRow values).</summary>
    void Predict(ReadOnlySpan<TInput> input, int rows, Span<int> predictions);

    /// <summary>Counts the target positions whose arg-max class equals the target.</summary>
    int CountCorrect(ReadOnlySpan<TInput> input, ReadOnlySpan<int> targets, int rows);
}
