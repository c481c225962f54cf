using ModelGen;

namespace ModelGen.Samples.Words;

/// <summary>The sizes both declarations share; attributes take them as constants.</summary>
public static class WordModelShape
{
    /// <summary>T: the characters of context the model sees (the word so far, padded at the start with the boundary).</summary>
    public const int Context = 8;

    /// <summary>d: floats per character embedding.</summary>
    public const int EmbeddingDim = 16;

    /// <summary>Width of the body: T·d after Flatten, then this after the first Linear.</summary>
    public const int Hidden = 128;

    /// <summary>Inner width of each FeedForward block.</summary>
    public const int FeedForward = 4 * Hidden;

    /// <summary>The batch capacity: the most contexts one training step takes.</summary>
    public const int BatchSize = 128;

    /// <summary>Dropout's probability in <see cref="WordModel"/>.</summary>
    public const double DropoutP = 0.1;
}

/// <summary>
/// The character-level language model (an MLP in the style of Bengio et al. 2003): the last T characters →
/// Embedding(27, d) → Flatten to T·d → Linear → RMSNorm → two pre-norm residual FeedForward blocks → Dropout →
/// the logits of the next character. ModelGen generates everything else.
/// </summary>
[Model(BatchSize = WordModelShape.BatchSize, SequenceLength = WordModelShape.Context)]
public sealed partial class WordModel
{
    [Embedding(NumEmbeddings = Vocabulary.Size, EmbeddingDim = WordModelShape.EmbeddingDim)]
    public partial Embedding CharEmbedding { get; }

    [Flatten]
    public partial Flatten Flat { get; }

    [Linear(InFeatures = WordModelShape.Context * WordModelShape.EmbeddingDim, OutFeatures = WordModelShape.Hidden)]
    public partial Linear Proj { get; }

    [RMSNorm(D = WordModelShape.Hidden)]
    public partial RMSNorm Norm { get; }

    [Residual, RMSNorm(D = WordModelShape.Hidden), FeedForward(DModel = WordModelShape.Hidden, DFf = WordModelShape.FeedForward)]
    public partial Residual Block1 { get; }

    [Residual, RMSNorm(D = WordModelShape.Hidden), FeedForward(DModel = WordModelShape.Hidden, DFf = WordModelShape.FeedForward)]
    public partial Residual Block2 { get; }

    [Dropout(P = WordModelShape.DropoutP)]
    public partial Dropout Drop { get; }

    [ClassificationHead(DIn = WordModelShape.Hidden, NumClasses = Vocabulary.Size)]
    public partial ClassificationHead Head { get; }
}

/// <summary>
/// <see cref="WordModel"/> with Dropout's p = 0 (<c>--dropout 0</c>). The generator fixes p at compile time, so the
/// comparison without Dropout is a second declaration; it has the same layers, parameters and state_dict names, so
/// either class loads the other's weights.
/// </summary>
[Model(BatchSize = WordModelShape.BatchSize, SequenceLength = WordModelShape.Context)]
public sealed partial class WordModelNoDropout
{
    [Embedding(NumEmbeddings = Vocabulary.Size, EmbeddingDim = WordModelShape.EmbeddingDim)]
    public partial Embedding CharEmbedding { get; }

    [Flatten]
    public partial Flatten Flat { get; }

    [Linear(InFeatures = WordModelShape.Context * WordModelShape.EmbeddingDim, OutFeatures = WordModelShape.Hidden)]
    public partial Linear Proj { get; }

    [RMSNorm(D = WordModelShape.Hidden)]
    public partial RMSNorm Norm { get; }

    [Residual, RMSNorm(D = WordModelShape.Hidden), FeedForward(DModel = WordModelShape.Hidden, DFf = WordModelShape.FeedForward)]
    public partial Residual Block1 { get; }

    [Residual, RMSNorm(D = WordModelShape.Hidden), FeedForward(DModel = WordModelShape.Hidden, DFf = WordModelShape.FeedForward)]
    public partial Residual Block2 { get; }

    [Dropout(P = 0)]
    public partial Dropout Drop { get; }

    [ClassificationHead(DIn = WordModelShape.Hidden, NumClasses = Vocabulary.Size)]
    public partial ClassificationHead Head { get; }
}
