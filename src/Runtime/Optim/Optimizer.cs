using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>
/// An optimizer steps the parameter arena in place from the gradient arena. Its per-parameter state lives in
/// the model (allocated once with the model), so a step allocates nothing.
/// </summary>
public abstract class Optimizer
{
    /// <summary>The learning rate; may be changed between steps (for a schedule).</summary>
    public float LearningRate { get; set; }

    /// <summary>Number of steps taken so far (PyTorch's <c>state['step']</c>); saved in checkpoints.</summary>
    public long StepCount { get; set; }

    /// <summary>Floats of state per parameter (AdamW: 2, SGD with momentum: 1, plain SGD: 0).</summary>
    public abstract int StateFloatsPerParameter { get; }

    /// <summary>Names of the state slots, in arena order, as PyTorch calls them (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>).</summary>
    public abstract string[] StateNames { get; }

    /// <summary>
    /// One step over all parameters. <paramref name="state"/> holds <see cref="StateFloatsPerParameter"/> slots, each
    /// laid out like the parameters: slot k of parameter i is at <c>k * parameters.Length + i</c>.
    /// </summary>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state);

    /// <summary>
    /// <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float})"/> for a model whose parameter arena holds
    /// <paramref name="tensors"/> (its <see cref="IModel.ParameterTable"/>): the same results, bit for bit, but the
    /// optimizer may use the tensors' bounds to split its work over the kernel threads as the model's own kernels
    /// split each tensor, so that a thread updates what it has just written. The generated models call this one;
    /// unless overridden it calls the other.
    /// </summary>
    public virtual void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, IReadOnlyList<ParameterInfo> tensors)
        => Step(parameters, gradients, state);
}
