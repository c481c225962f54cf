using System;

namespace ModelGen;

/// <summary>
/// Marks a <c>partial class</c> as a model. Its layers are the properties annotated with layer attributes, in
/// declaration order; the generator writes the parameters, forward, loss, backward and optimizer step.
/// Give <see cref="InputSize"/> for a model over float rows, or <see cref="SequenceLength"/> for a model that starts
/// with an <see cref="EmbeddingAttribute"/> and reads rows of token ids.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ModelAttribute : Attribute
{
    /// <summary>The batch capacity: the most rows one call may take. Every buffer is sized for it.</summary>
    public int BatchSize { get; set; }

    /// <summary>Floats per input row (for MNIST, 784).</summary>
    public int InputSize { get; set; }

    /// <summary>Token ids per input row, for a model whose first layer is an Embedding.</summary>
    public int SequenceLength { get; set; }

    /// <summary>
    /// Times every kernel call of the generated passes and of the optimizer step with the wall clock, into the model's
    /// <see cref="KernelTimes"/> (its <c>KernelTimes</c> property): where a step's time goes, call by call, in place
    /// among the calls around it, where each kernel finds the caches as the ones before it left them. Off by default:
    /// a timed model reads the clock once after each kernel call (about 20 ns each on x64, some 25 times a step for a
    /// 3-layer MLP). The results are the same either way.
    /// </summary>
    public bool TimeKernels { get; set; }
}
