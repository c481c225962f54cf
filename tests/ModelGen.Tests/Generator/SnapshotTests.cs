using System.Linq;
using Microsoft.CodeAnalysis;
using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Tests.Generator;

/// <summary>
/// The generated source, compared with reviewed snapshots. The end-to-end cases run the generator over
/// Models/TestModels.cs, the very file whose generated code the build compiles into this project and other tests run.
/// </summary>
public sealed class SnapshotTests
{
    private static GeneratorHarness.Result RunOnTestModels()
        => GeneratorHarness.Run(GeneratorHarness.ReadTestSource("Models/TestModels.cs"));

    [Theory]
    [InlineData("MnistClassifier")]
    [InlineData("SmallMlp")]
    [InlineData("TinyCharModel")]
    [InlineData("EveryLayer")]
    [InlineData("TimedEveryLayer")]
    public void GeneratedSource(string model)
    {
        var result = RunOnTestModels();
        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        var source = result.Sources.Single(s => s.HintName == $"ModelGen.Tests.Models.{model}.g.cs").Source;
        Snapshot.Verify(source, model);
    }

    [Fact]
    public void GeneratedSourceCompilesWithoutWarnings()
    {
        var result = RunOnTestModels();
        var problems = result.CompilationDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EmitterDepthOneMlpIsOneLinear()
    {
        // Emitter snapshot from a hand-built model: no parsing involved.
        var model = new ModelSpec("Demo", "Regression", "internal", BatchSize: 16, TokenInput: false, InputSize: 3,
            new[] { new PropertySpec("Fit", "public", new MlpSpec("fit", 3, 0, 2, 1, false)) }.ToEquatableArray());
        Snapshot.Verify(ModelEmitter.Emit(model), "");
    }

    [Fact]
    public void EmitterGlobalNamespaceAndBiasFreeHead()
    {
        var model = new ModelSpec(null, "Probe", "public", BatchSize: 2, TokenInput: false, InputSize: 4,
            new[]
            {
                new PropertySpec("Project", "public", new LinearSpec("project", 4, 4, Bias: false, Init: 0)),
                new PropertySpec("Head", "public", new ClassificationHeadSpec("head", 4, 2)),
            }.ToEquatableArray());
        Snapshot.Verify(ModelEmitter.Emit(model), "");
    }

    [Fact]
    public void EmitterGeluOnTheInputSavesNoDerivative()
    {
        // The model input needs no gradient, so its GELU has no backward and keeps no derivative arena.
        var model = new ModelSpec("Demo", "Squash", "public", BatchSize: 3, TokenInput: false, InputSize: 4,
            new[]
            {
                new PropertySpec("Act", "public", new GeluSpec("act")),
                new PropertySpec("Head", "public", new ClassificationHeadSpec("head", 4, 2)),
            }.ToEquatableArray());
        string source = ModelEmitter.Emit(model);
        Assert.DoesNotContain("_derivatives", source);
        Snapshot.Verify(source, "");
    }
}
