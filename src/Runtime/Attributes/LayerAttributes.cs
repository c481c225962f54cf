using System;

namespace ModelGen;

/// <summary>How a Linear layer's weight is initialised.</summary>
public enum LinearInit
{
    /// <summary>PyTorch's default for nn.Linear: kaiming_uniform with a = √5, i.e. U(±1/√in_features).</summary>
    KaimingUniform = 0,

    /// <summary>nn.init.xavier_uniform_: U(±√(6 / (in + out))).</summary>
    XavierUniform = 1,
}

/// <summary>Base of every layer attribute. A layer attribute goes on a <c>partial</c> get-only property of the model.</summary>
public abstract class LayerAttribute : Attribute
{
}

/// <summary><c>nn.Linear(in_features, out_features, bias=True)</c>: y = x Wᵀ + b over the last dimension; W is (out, in).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class LinearAttribute : LayerAttribute
{
    /// <summary>Declares a Linear layer.</summary>
    public LinearAttribute() { }

    /// <summary>Declares a Linear layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    public LinearAttribute(int inFeatures, int outFeatures) { InFeatures = inFeatures; OutFeatures = outFeatures; }

    /// <summary>Size of each input row (the last dimension).</summary>
    public int InFeatures { get; set; }

    /// <summary>Size of each output row.</summary>
    public int OutFeatures { get; set; }

    /// <summary>Whether to learn an additive bias (PyTorch default: true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Weight initialisation (default: PyTorch's kaiming-uniform).</summary>
    public LinearInit Init { get; set; }
}

/// <summary><c>nn.Embedding(num_embeddings, embedding_dim)</c>: token ids (..., ) to vectors (..., dim); weight init N(0, 1).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class EmbeddingAttribute : LayerAttribute
{
    /// <summary>Declares an Embedding.</summary>
    public EmbeddingAttribute() { }

    /// <summary>Declares an Embedding of <paramref name="numEmbeddings"/> vectors of <paramref name="embeddingDim"/> values.</summary>
    public EmbeddingAttribute(int numEmbeddings, int embeddingDim) { NumEmbeddings = numEmbeddings; EmbeddingDim = embeddingDim; }

    /// <summary>The vocabulary size: valid ids are 0 … NumEmbeddings − 1.</summary>
    public int NumEmbeddings { get; set; }

    /// <summary>The size of each embedding vector.</summary>
    public int EmbeddingDim { get; set; }
}

/// <summary><c>nn.Dropout(p=0.5)</c>: in train mode zeroes each value with probability p and scales the rest by 1/(1−p); identity in eval mode.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Declares a Dropout with PyTorch's default p = 0.5.</summary>
    public DropoutAttribute() { }

    /// <summary>Declares a Dropout with probability <paramref name="p"/>.</summary>
    public DropoutAttribute(double p) { P = p; }

    /// <summary>Probability of zeroing a value, in [0, 1).</summary>
    public double P { get; set; } = 0.5;
}

/// <summary><c>nn.LayerNorm(D, eps=1e-5)</c>: (x − mean) / √(var + eps) · weight + bias over the last dimension, biased variance.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Declares a LayerNorm.</summary>
    public LayerNormAttribute() { }

    /// <summary>Declares a LayerNorm over a last dimension of <paramref name="d"/>.</summary>
    public LayerNormAttribute(int d) { D = d; }

    /// <summary>The normalised (last) dimension.</summary>
    public int D { get; set; }

    /// <summary>Added to the variance inside the square root (PyTorch default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;
}

/// <summary>RMSNorm(D, eps=1e-8): x / √(mean(x²) + eps) · weight over the last dimension.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class RMSNormAttribute : LayerAttribute
{
    /// <summary>Declares an RMSNorm.</summary>
    public RMSNormAttribute() { }

    /// <summary>Declares an RMSNorm over a last dimension of <paramref name="d"/>.</summary>
    public RMSNormAttribute(int d) { D = d; }

    /// <summary>The normalised (last) dimension.</summary>
    public int D { get; set; }

    /// <summary>Added to the mean square inside the square root (default 1e-8).</summary>
    public double Eps { get; set; } = 1e-8;
}

/// <summary><c>nn.GELU()</c>, the exact form 0.5·x·(1 + erf(x/√2)).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class GeluAttribute : LayerAttribute
{
}

/// <summary><c>nn.Flatten()</c>: (…, a, b) per row to (a·b) per row; a view, no copy.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute
{
}

/// <summary>
/// MLP(in_dim, hidden_dim, out_dim, depth, use_layernorm=False): <c>depth</c> Linear layers in → hidden → … → out,
/// each hidden Linear followed by LayerNorm (when asked) and then GELU; depth 1 is a single Linear(in, out).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class MlpAttribute : LayerAttribute
{
    /// <summary>Input width.</summary>
    public int InDim { get; set; }

    /// <summary>Width of every hidden layer.</summary>
    public int HiddenDim { get; set; }

    /// <summary>Output width.</summary>
    public int OutDim { get; set; }

    /// <summary>Number of Linear layers, at least 1.</summary>
    public int Depth { get; set; } = 1;

    /// <summary>Put a LayerNorm between each hidden Linear and its GELU.</summary>
    public bool UseLayerNorm { get; set; }
}

/// <summary>FeedForward(d_model, d_ff=4·d_model): Linear(d_model, d_ff) → GELU → Linear(d_ff, d_model).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class FeedForwardAttribute : LayerAttribute
{
    /// <summary>Declares a FeedForward block.</summary>
    public FeedForwardAttribute() { }

    /// <summary>Declares a FeedForward block of width <paramref name="dModel"/>.</summary>
    public FeedForwardAttribute(int dModel) { DModel = dModel; }

    /// <summary>Input and output width.</summary>
    public int DModel { get; set; }

    /// <summary>Inner width; 0 (the default) means 4 · DModel.</summary>
    public int DFf { get; set; }
}

/// <summary>
/// Residual(fn): x + fn(x). The layer attributes that follow <c>[Residual]</c> on the same property form fn, in order
/// (for example <c>[Residual, LayerNorm(256), FeedForward(256)]</c> is a pre-norm transformer FFN block); fn must keep the shape.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ResidualAttribute : LayerAttribute
{
}

/// <summary>ClassificationHead(d_in, num_classes): a Linear from the features to the class logits.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public sealed class ClassificationHeadAttribute : LayerAttribute
{
    /// <summary>Declares a classification head.</summary>
    public ClassificationHeadAttribute() { }

    /// <summary>Declares a head from <paramref name="dIn"/> features to <paramref name="numClasses"/> logits.</summary>
    public ClassificationHeadAttribute(int dIn, int numClasses) { DIn = dIn; NumClasses = numClasses; }

    /// <summary>Input width.</summary>
    public int DIn { get; set; }

    /// <summary>Number of classes (logits per row).</summary>
    public int NumClasses { get; set; }
}
