using ModelGen;

namespace ModelGen.Samples.Mnist;

/// <summary>
/// The exercise's MNIST classifier: MLP(784 → 256 → 256 → 256, depth 3, LayerNorm, GELU) and a head to 10 classes.
/// ModelGen generates everything else (see obj/…/generated or the IDE's "Go to definition").
/// </summary>
[Model(BatchSize = 64, InputSize = 784)]
public sealed partial class MnistClassifier
{
    [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 3, UseLayerNorm = true)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 256, NumClasses = 10)]
    public partial ClassificationHead Head { get; }
}
