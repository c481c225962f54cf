using System.Linq;

namespace ModelGen.Tests.Generator;

/// <summary>The generator never throws: half-typed and malformed declarations give diagnostics or nothing.</summary>
public sealed class RobustnessTests
{
    public static TheoryData<string> MalformedSources() => new()
    {
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class",
        "using ModelGen; [Model(BatchSize = , InputSize = 3)] public partial class M { }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(InFeatures = 3, OutFeatures = )] public partial Linear Fc { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(InFeatures = \"3\", OutFeatures = 2)] public partial Linear Fc { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(3, 2)] public partial Linear Fc { get } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(3, 2)] public partial Linear { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(3, 2)] public partial Lineer Fc { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Residual] public partial Residual Block { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Residual, Residual] public partial Residual Block { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Mlp(InDim = 3, OutDim = 2, Depth = 3)] public partial Mlp Body { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Mlp(InDim = 3, HiddenDim = int.MaxValue, OutDim = 2, Depth = 2)] public partial Mlp Body { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Dropout(double.NaN)] public partial Dropout D { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [LayerNorm(3, Eps = double.PositiveInfinity)] public partial LayerNorm N { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M<T> { [Linear(3, 2)] public partial Linear Fc { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public static partial class M { }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial record M { }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial struct M { }",
        "using ModelGen; [Model(BatchSize = 4, SequenceLength = 0)] public partial class M { [Embedding(5, 3)] public partial Embedding E { get; } }",
        "using ModelGen; [Model(BatchSize = 4, SequenceLength = 3)] public partial class M { [Embedding(0, 3)] public partial Embedding E { get; } [Flatten] public partial Flatten F { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Flatten, Flatten] public partial Flatten F { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Residual, Flatten] public partial Residual F { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Gelu] public static partial Gelu G { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Gelu] public partial Gelu G { get; } [Gelu] public partial Gelu G { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [FeedForward(3, DFf = -1)] public partial FeedForward F { get; } }",
        "using ModelGen; [Model] public partial class M { [Gelu] public partial Gelu G { get; } }",
        "[ModelGen.Model(BatchSize = 4, InputSize = 3)] partial class M { [ModelGen.Linear(3, 2)] partial ModelGen.Linear Fc { get; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(3, 2)] public partial Linear Fc { get => null!; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(3, 2)] public partial Linear Fc { get; } public partial Linear Fc { get => null!; } }",
        "using ModelGen; [Model(BatchSize = 4, InputSize = 3)] class",
        "using ModelGen; [Model(",
        "[Model(BatchSize = 4, InputSize = 3)] public partial class NoUsing { [Linear(3, 2)] public partial Linear Fc { get; } }",
    };

    [Theory]
    [MemberData(nameof(MalformedSources))]
    public void NeverThrows(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.Exceptions);
        // A generator exception would surface as warning CS8785 in the compilation.
        Assert.DoesNotContain(result.CompilationDiagnostics, d => d.Id == "CS8785");
    }

    [Fact]
    public void ValidModelGeneratesOneFile()
    {
        var result = GeneratorHarness.Run("using ModelGen; [Model(BatchSize = 4, InputSize = 3)] public partial class M { [Linear(3, 2)] public partial Linear Fc { get; } }");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal("M.g.cs", Assert.Single(result.Sources).HintName);
        Assert.DoesNotContain(result.CompilationDiagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
    }
}
