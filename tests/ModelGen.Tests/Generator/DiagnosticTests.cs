using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ModelGen.Tests.Generator;

/// <summary>Every diagnostic fires with its ID, a message naming the sizes, at the attribute or argument that is wrong.</summary>
public sealed class DiagnosticTests
{
    /// <summary>
    /// Runs the generator on <paramref name="markedSource"/>, where [| |] marks the span the diagnostic must cover,
    /// and returns the single diagnostic reported there.
    /// </summary>
    private static Diagnostic Single(string id, string markedSource)
    {
        int start = markedSource.IndexOf("[|", System.StringComparison.Ordinal);
        int end = markedSource.IndexOf("|]", System.StringComparison.Ordinal) - 2;
        string source = "using ModelGen;\n" + markedSource.Replace("[|", "").Replace("|]", "");
        var expected = new TextSpan(start + "using ModelGen;\n".Length, end - start);

        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.Exceptions);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(expected, diagnostic.Location.SourceSpan);
        Assert.Empty(result.Sources); // a model with errors generates nothing
        return diagnostic;
    }

    private static string Message(Diagnostic d) => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void MG0001_ClassNotPartial()
    {
        var d = Single("MG0001", """
            [Model(BatchSize = 4, InputSize = 3)]
            public class [|Classifier|]
            {
            }
            """);
        Assert.Contains("'Classifier'", Message(d));
    }

    [Fact]
    public void MG0002_NonPositiveSize_Named()
    {
        var d = Single("MG0002", """
            [Model(BatchSize = 4, InputSize = 3)]
            public partial class M
            {
                [Linear(InFeatures = 3, [|OutFeatures = 0|])]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Contains("'OutFeatures' of [Linear] on 'Fc' must be a positive size, but is 0", Message(d));
    }

    [Fact]
    public void MG0002_NonPositiveSize_Positional()
    {
        Single("MG0002", """
            [Model(BatchSize = 4, InputSize = 3)]
            public partial class M
            {
                [Linear(3, [|-2|])]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0002_NonPositiveBatchSize()
    {
        Single("MG0002", """
            [Model([|BatchSize = 0|], InputSize = 3)]
            public partial class M
            {
                [Linear(3, 2)]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0003_WidthMismatch_NamesBothSizes()
    {
        var d = Single("MG0003", """
            [Model(BatchSize = 4, InputSize = 784)]
            public partial class M
            {
                [Mlp(InDim = 784, HiddenDim = 256, OutDim = 256, Depth = 2)]
                public partial Mlp Body { get; }

                [ClassificationHead([|DIn = 128|], NumClasses = 10)]
                public partial ClassificationHead Head { get; }
            }
            """);
        Assert.Equal("'DIn' of [ClassificationHead] on 'Head' is 128, but the input it receives ([Mlp] on 'Body', shape (B, 256)) has 256 features in its last dimension", Message(d));
    }

    [Fact]
    public void MG0003_WidthMismatch_AgainstModelInput()
    {
        var d = Single("MG0003", """
            [Model(BatchSize = 4, InputSize = 784)]
            public partial class M
            {
                [Linear([|InFeatures = 728|], OutFeatures = 10)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Contains("728", Message(d));
        Assert.Contains("the model input, shape (B, 784)", Message(d));
    }

    [Fact]
    public void MG0003_WidthMismatch_InsideResidual()
    {
        Single("MG0003", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Residual, LayerNorm(8), FeedForward([|DModel = 6|])]
                public partial Residual Block { get; }
            }
            """);
    }

    [Fact]
    public void MG0004_ResidualChangesShape()
    {
        var d = Single("MG0004", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [[|Residual|], Linear(8, 4)]
                public partial Residual Block { get; }
            }
            """);
        Assert.Contains("maps (B, 8) to (B, 4)", Message(d));
    }

    [Fact]
    public void MG0005_DropoutProbability()
    {
        var d = Single("MG0005", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Dropout([|P = 1.0|])]
                public partial Dropout Drop { get; }
            }
            """);
        Assert.Contains("[0, 1), but is 1", Message(d));
    }

    [Fact]
    public void MG0006_DepthBelowOne()
    {
        Single("MG0006", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Mlp(InDim = 8, HiddenDim = 8, OutDim = 2, [|Depth = 0|])]
                public partial Mlp Body { get; }
            }
            """);
    }

    [Fact]
    public void MG0007_NoLayers()
    {
        Single("MG0007", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class [|Empty|]
            {
                public int NotALayer { get; set; }
            }
            """);
    }

    [Fact]
    public void MG0008_TwoLayersWithoutResidual()
    {
        Single("MG0008", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 8), [|Gelu|]]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0008_EmbeddingInsideResidual()
    {
        Single("MG0008", """
            [Model(BatchSize = 4, SequenceLength = 2)]
            public partial class M
            {
                [Embedding(5, 3)]
                public partial Embedding Tokens { get; }

                [Residual, [|Embedding(3, 3)|]]
                public partial Residual Block { get; }
            }
            """);
    }

    [Fact]
    public void MG0008_EmbeddingAfterAnotherLayer()
    {
        Single("MG0008", """
            [Model(BatchSize = 4, InputSize = 2)]
            public partial class M
            {
                [Linear(2, 2)]
                public partial Linear Fc { get; }

                [[|Embedding(5, 3)|]]
                public partial Embedding Tokens { get; }
            }
            """);
    }

    [Fact]
    public void MG0009_PropertyTypeMismatch()
    {
        var d = Single("MG0009", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public partial [|Mlp|] Fc { get; }
            }
            """);
        Assert.Contains("'public partial Linear Fc { get; }'", Message(d));
    }

    [Fact]
    public void MG0010_PropertyNotPartial()
    {
        Single("MG0010", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(8, 2)]
                public Linear [|Fc|] { get; set; } = null!;
            }
            """);
    }

    [Fact]
    public void MG0011_NoInputDeclared()
    {
        Single("MG0011", """
            [[|Model(BatchSize = 4)|]]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0011_SequenceLengthWithoutEmbedding()
    {
        Single("MG0011", """
            [Model(BatchSize = 4, [|SequenceLength = 8|])]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
    }

    [Fact]
    public void MG0011_BothInputsIsOneError()
    {
        // SequenceLength is also set, but the first-layer-must-be-an-Embedding error would repeat the same mistake.
        var d = Single("MG0011", """
            [[|Model(BatchSize = 4, InputSize = 8, SequenceLength = 8)|]]
            public partial class M
            {
                [Linear(8, 2)]
                public partial Linear Fc { get; }
            }
            """);
        Assert.Contains("not both", Message(d));
    }

    [Fact]
    public void MG0012_EpsNotPositive()
    {
        Single("MG0012", """
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [LayerNorm(8, [|Eps = 0|])]
                public partial LayerNorm Norm { get; }
            }
            """);
    }

    [Fact]
    public void MG0013_NestedClass()
    {
        Single("MG0013", """
            public partial class Outer
            {
                [Model(BatchSize = 4, InputSize = 8)]
                public partial class [|Inner|]
                {
                    [Linear(8, 2)]
                    public partial Linear Fc { get; }
                }
            }
            """);
    }

    [Fact]
    public void EveryDescriptorHasAStableUniqueId()
    {
        var ids = ModelGen.Generator.Diagnostics.DiagnosticDescriptors.All.Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^MG[0-9]{4}$", id));
    }

    [Fact]
    public void OneMistakeGivesOneError()
    {
        // The head's width would also mismatch the broken layer's output: only the first mistake is reported.
        var result = GeneratorHarness.Run("""
            using ModelGen;
            [Model(BatchSize = 4, InputSize = 8)]
            public partial class M
            {
                [Linear(InFeatures = 5, OutFeatures = 6)]
                public partial Linear Fc { get; }

                [ClassificationHead(DIn = 9, NumClasses = 2)]
                public partial ClassificationHead Head { get; }
            }
            """);
        Assert.Equal("MG0003", Assert.Single(result.GeneratorDiagnostics).Id);
    }
}
