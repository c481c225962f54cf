using ModelGen;

// Layers named like the generated code's own members: its fields (_tokens, _targets, _training) and the
// parameters of its methods (input, output); and layers whose snake_case names are C# keywords. The build compiles
// their generated code here; NamingTests runs it.
namespace ModelGen.Tests.Models;

/// <summary>A token model whose layers are named Tokens, Targets, Training and Output.</summary>
[Model(BatchSize = 2, SequenceLength = 3)]
public sealed partial class TokenModelWithGeneratedNames
{
    [Embedding(NumEmbeddings = 5, EmbeddingDim = 2)]
    public partial Embedding Tokens { get; }

    [Flatten]
    public partial Flatten Targets { get; }

    [Linear(InFeatures = 6, OutFeatures = 4)]
    public partial Linear Training { get; }

    [Linear(InFeatures = 4, OutFeatures = 3)]
    public partial Linear Output { get; }
}

/// <summary>A float model whose layers are named Input and Output, like Forward's parameters.</summary>
[Model(BatchSize = 2, InputSize = 3)]
public sealed partial class FloatModelWithGeneratedNames
{
    [Linear(InFeatures = 3, OutFeatures = 4)]
    public partial Linear Input { get; }

    [Linear(InFeatures = 4, OutFeatures = 2)]
    public partial Linear Output { get; }
}

/// <summary>Layers named In and Out, whose snake_case names are C# keywords: their buffers are written @in and @out.</summary>
[Model(BatchSize = 2, InputSize = 3)]
public sealed partial class KeywordNamedLayers
{
    [Linear(InFeatures = 3, OutFeatures = 4)]
    public partial Linear In { get; }

    [Linear(InFeatures = 4, OutFeatures = 2)]
    public partial Linear Out { get; }
}
