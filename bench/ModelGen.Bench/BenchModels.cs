using ModelGen;

namespace ModelGen.Bench;

/// <summary>The reference workload: the MNIST trainer's model, batch 64.</summary>
[Model(BatchSize = 64, InputSize = 784)]
public sealed partial class MnistClassifier
{
    [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 3, UseLayerNorm = true)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 256, NumClasses = 10)]
    public partial ClassificationHead Head { get; }
}

/// <summary>The same workload without LayerNorm.</summary>
[Model(BatchSize = 64, InputSize = 784)]
public sealed partial class MnistClassifierPlain
{
    [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 3)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 256, NumClasses = 10)]
    public partial ClassificationHead Head { get; }
}

/// <summary>The same model with a batch capacity of one, for inference latency.</summary>
[Model(BatchSize = 1, InputSize = 784)]
public sealed partial class MnistClassifierSingle
{
    [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 3, UseLayerNorm = true)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 256, NumClasses = 10)]
    public partial ClassificationHead Head { get; }
}

/// <summary>The reference workload's model with every kernel call timed in place (the <c>profile</c> mode).</summary>
[Model(BatchSize = 64, InputSize = 784, TimeKernels = true)]
public sealed partial class MnistClassifierTimed
{
    [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 3, UseLayerNorm = true)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 256, NumClasses = 10)]
    public partial ClassificationHead Head { get; }
}
