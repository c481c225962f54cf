using ModelGen;

namespace Consumer;

/// <summary>A small MLP classifier: 16 features, two hidden layers of 32 with GELU, 4 classes.</summary>
[Model(BatchSize = 32, InputSize = 16)]
internal sealed partial class MlpClassifier
{
    [Mlp(InDim = 16, HiddenDim = 32, OutDim = 32, Depth = 3)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 32, NumClasses = 4)]
    public partial ClassificationHead Head { get; }
}

/// <summary>
/// The same task through LayerNorm, Dropout and a pre-norm residual feed-forward block. Public, as a library's model
/// would be, so that the build checks the generated public members for XML docs (CS1591) too.
/// </summary>
[Model(BatchSize = 32, InputSize = 16)]
public sealed partial class NormedClassifier
{
    /// <summary>Projects the 16 features to 32.</summary>
    [Linear(16, 32)]
    public partial Linear Proj { get; }

    /// <summary>Normalises each row.</summary>
    [LayerNorm(32)]
    public partial LayerNorm Norm { get; }

    /// <summary>The activation.</summary>
    [Gelu]
    public partial Gelu Act { get; }

    /// <summary>Zeroes 10% of the values in train mode.</summary>
    [Dropout(0.1)]
    public partial Dropout Drop { get; }

    /// <summary>x + FeedForward(LayerNorm(x)).</summary>
    [Residual, LayerNorm(32), FeedForward(32, DFf = 64)]
    public partial Residual Block { get; }

    /// <summary>The logits of the four classes.</summary>
    [ClassificationHead(32, 4)]
    public partial ClassificationHead Head { get; }
}
