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
}
