using ModelGen;

// Models declared for the tests. The build compiles their generated code into this test project (so it runs),
// and the snapshot tests run the generator on this same file and compare its output with Snapshots/.
namespace ModelGen.Tests.Models;

/// <summary>The MNIST classifier of the sample, as declared there.</summary>
[Model(BatchSize = 64, InputSize = 784)]
public sealed partial class MnistClassifier
{
    [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 3, UseLayerNorm = true)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 256, NumClasses = 10)]
    public partial ClassificationHead Head { get; }
}

/// <summary>A small MLP classifier: Linear, LayerNorm, GELU and the head, small enough for finite differences.</summary>
[Model(BatchSize = 8, InputSize = 12)]
public sealed partial class SmallMlp
{
    [Mlp(InDim = 12, HiddenDim = 16, OutDim = 9, Depth = 3, UseLayerNorm = true)]
    public partial Mlp Body { get; }

    [ClassificationHead(DIn = 9, NumClasses = 5)]
    public partial ClassificationHead Head { get; }
}

/// <summary>
/// A character model: Embedding over a context, a per-position Linear, Flatten, RMSNorm, a pre-norm residual
/// FeedForward block, Dropout and the head. Every layer kind that reads token ids or changes rank is here.
/// </summary>
[Model(BatchSize = 4, SequenceLength = 3)]
public sealed partial class TinyCharModel
{
    [Embedding(NumEmbeddings = 7, EmbeddingDim = 4)]
    public partial Embedding TokenEmbedding { get; }

    [Linear(InFeatures = 4, OutFeatures = 5)]
    public partial Linear PerPosition { get; }

    [Gelu]
    public partial Gelu Act { get; }

    [Flatten]
    public partial Flatten Flat { get; }

    [RMSNorm(D = 15)]
    public partial RMSNorm Norm { get; }

    [Residual, RMSNorm(D = 15), FeedForward(DModel = 15, DFf = 8)]
    public partial Residual Block { get; }

    [Dropout(P = 0.25)]
    public partial Dropout Drop { get; }

    [ClassificationHead(DIn = 15, NumClasses = 7)]
    public partial ClassificationHead Head { get; }
}

/// <summary>
/// Every float-input layer in one model: Xavier and bias-free Linears, LayerNorm with its own eps, a residual around
/// LayerNorm → FeedForward (default d_ff), a residual around Linear → GELU, Dropout, a depth-1 MLP, and a norm that
/// reads the model input directly.
/// </summary>
[Model(BatchSize = 5, InputSize = 6)]
public sealed partial class EveryLayer
{
    [LayerNorm(D = 6, Eps = 1e-3)]
    public partial LayerNorm InputNorm { get; }

    [Linear(InFeatures = 6, OutFeatures = 8, Init = LinearInit.XavierUniform)]
    public partial Linear Proj { get; }

    [Residual, LayerNorm(D = 8), FeedForward(DModel = 8)]
    public partial Residual Ffn { get; }

    [Residual, Linear(InFeatures = 8, OutFeatures = 8, Bias = false), Gelu]
    public partial Residual Mixer { get; }

    [Dropout(P = 0.5)]
    public partial Dropout Drop { get; }

    [Mlp(InDim = 8, OutDim = 6, Depth = 1)]
    public partial Mlp Out { get; }

    [ClassificationHead(DIn = 6, NumClasses = 3)]
    public partial ClassificationHead Head { get; }
}

/// <summary>
/// <see cref="EveryLayer"/>'s layers with every kernel call timed (<c>TimeKernels</c>): the marks go after calls in the
/// passes, inside Dropout's training branch and after the residuals' adds; the results must be EveryLayer's.
/// </summary>
[Model(BatchSize = 5, InputSize = 6, TimeKernels = true)]
public sealed partial class TimedEveryLayer
{
    [LayerNorm(D = 6, Eps = 1e-3)]
    public partial LayerNorm InputNorm { get; }

    [Linear(InFeatures = 6, OutFeatures = 8, Init = LinearInit.XavierUniform)]
    public partial Linear Proj { get; }

    [Residual, LayerNorm(D = 8), FeedForward(DModel = 8)]
    public partial Residual Ffn { get; }

    [Residual, Linear(InFeatures = 8, OutFeatures = 8, Bias = false), Gelu]
    public partial Residual Mixer { get; }

    [Dropout(P = 0.5)]
    public partial Dropout Drop { get; }

    [Mlp(InDim = 8, OutDim = 6, Depth = 1)]
    public partial Mlp Out { get; }

    [ClassificationHead(DIn = 6, NumClasses = 3)]
    public partial ClassificationHead Head { get; }
}

/// <summary>
/// Row-wise layers of every kind in a batch large enough to split into row blocks (70 rows: 32 + 38 on two threads,
/// 16 + 16 + 38 on three): two runs of them, around a Dropout, after a norm of the model input, which runs on its own.
/// </summary>
[Model(BatchSize = 70, InputSize = 20)]
public sealed partial class RowBlockModel
{
    [LayerNorm(D = 20)]
    public partial LayerNorm InputNorm { get; }

    [Linear(InFeatures = 20, OutFeatures = 24)]
    public partial Linear Proj { get; }

    [Residual, RMSNorm(D = 24), FeedForward(DModel = 24, DFf = 40)]
    public partial Residual Ffn { get; }

    [Residual, Linear(InFeatures = 24, OutFeatures = 24, Bias = false), Gelu]
    public partial Residual Mixer { get; }

    [Dropout(P = 0.25)]
    public partial Dropout Drop { get; }

    [Mlp(InDim = 24, HiddenDim = 32, OutDim = 16, Depth = 2, UseLayerNorm = true)]
    public partial Mlp Out { get; }

    [ClassificationHead(DIn = 16, NumClasses = 5)]
    public partial ClassificationHead Head { get; }
}
