using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Generator;

namespace ModelGen.Tests.Generator;

/// <summary>The pipeline is incremental: unchanged input is Cached or Unchanged at every tracked step, and models hold no compiler objects.</summary>
public sealed class IncrementalityTests
{
    private const string Model = """
        using ModelGen;
        namespace Demo;
        [Model(BatchSize = 8, InputSize = 4)]
        public partial class M
        {
            [Linear(4, 6)]
            public partial Linear Fc { get; }

            [ClassificationHead(6, 3)]
            public partial ClassificationHead Head { get; }
        }
        """;

    private const string Unrelated = "namespace Demo; public static class Helper { public static int Two() => 2; }";

    private static readonly string[] s_trackedSteps = [TrackingNames.ModelSpecs, TrackingNames.Models, TrackingNames.Diagnostics];

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun(params string[] sources)
    {
        var compilation = GeneratorHarness.Compilation(sources);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        return (driver, compilation);
    }

    private static void AssertAllCachedOrUnchanged(GeneratorDriverRunResult run)
    {
        var steps = run.Results[0].TrackedSteps;
        foreach (var name in s_trackedSteps.Where(steps.ContainsKey))
        {
            foreach (var step in steps[name])
            {
                foreach (var (_, reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {name} was {reason}");
            }
        }
        foreach (var output in run.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"an output step was {output.Reason}");
    }

    [Fact]
    public void SecondRunIsCached()
    {
        var (driver, compilation) = FirstRun(Model, Unrelated);
        var run = driver.RunGenerators(compilation.Clone()).GetRunResult();
        AssertAllCachedOrUnchanged(run);
    }

    [Fact]
    public void UnrelatedEditDoesNotRegenerate()
    {
        var (driver, compilation) = FirstRun(Model, Unrelated);
        var oldTree = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(oldTree,
            CSharpSyntaxTree.ParseText(Unrelated.Replace("=> 2", "=> 1 + 1"), GeneratorHarness.ParseOptions, oldTree.FilePath));
        var run = driver.RunGenerators(edited).GetRunResult();
        AssertAllCachedOrUnchanged(run);
    }

    [Fact]
    public void CommentInTheModelDoesNotRegenerate()
    {
        var (driver, compilation) = FirstRun(Model);
        var oldTree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(oldTree,
            CSharpSyntaxTree.ParseText(Model.Replace("public partial class M", "// a comment\npublic partial class M"), GeneratorHarness.ParseOptions, oldTree.FilePath));
        var run = driver.RunGenerators(edited).GetRunResult();
        var models = run.Results[0].TrackedSteps[TrackingNames.Models];
        Assert.All(models.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    /// <summary>The emitter's outputs (RegisterSourceOutput steps) of a run, with why each ran or did not.</summary>
    private static IncrementalStepRunReason[] OutputReasons(GeneratorDriverRunResult run)
        => run.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    [Fact]
    public void NewMethodInTheModelClassDoesNotReemit()
    {
        // Typing in the model's own class (here: a new method) re-runs the parse, whose spec is then equal: the
        // emitter does not run again and the generated source is the same object.
        var (driver, compilation) = FirstRun(Model);
        var oldTree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(oldTree, CSharpSyntaxTree.ParseText(
            Model.Replace("public partial class M\n{", "public partial class M\n{\n    public int Two() => 2;\n"),
            GeneratorHarness.ParseOptions, oldTree.FilePath));
        var run = driver.RunGenerators(edited).GetRunResult();
        Assert.Contains("Two()", edited.SyntaxTrees.First().ToString());
        Assert.All(run.Results[0].TrackedSteps[TrackingNames.Models].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Models was {o.Reason}"));
        Assert.NotEmpty(OutputReasons(run));
        Assert.All(OutputReasons(run), reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"an output step was {reason}"));
    }

    [Fact]
    public void ChangedWidthReemitsOnlyThatModel()
    {
        const string Other = """
            using ModelGen;
            namespace Demo;
            [Model(BatchSize = 2, InputSize = 3)]
            public partial class Other
            {
                [Linear(3, 2)]
                public partial Linear Fc { get; }
            }
            """;
        var (driver, compilation) = FirstRun(Model, Other);
        var oldTree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(oldTree, CSharpSyntaxTree.ParseText(
            Model.Replace("Linear(4, 6)", "Linear(4, 7)").Replace("ClassificationHead(6, 3)", "ClassificationHead(7, 3)"),
            GeneratorHarness.ParseOptions, oldTree.FilePath));
        var reasons = OutputReasons(driver.RunGenerators(edited).GetRunResult());
        Assert.Equal(1, reasons.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, reasons.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void ChangedWidthRegenerates()
    {
        var (driver, compilation) = FirstRun(Model);
        var oldTree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(oldTree,
            CSharpSyntaxTree.ParseText(Model.Replace("Linear(4, 6)", "Linear(4, 7)").Replace("ClassificationHead(6, 3)", "ClassificationHead(7, 3)"),
                GeneratorHarness.ParseOptions, oldTree.FilePath));
        var run = driver.RunGenerators(edited).GetRunResult();
        var models = run.Results[0].TrackedSteps[TrackingNames.Models];
        Assert.Contains(models.SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Linear(4 → 7)", run.GeneratedTrees.Single().ToString());
    }

    [Fact]
    public void StepOutputsHoldNoCompilerObjects()
    {
        var (driver, _) = FirstRun(Model);
        var steps = driver.GetRunResult().Results[0].TrackedSteps;
        foreach (var name in s_trackedSteps.Where(steps.ContainsKey))
        {
            foreach (var output in steps[name].SelectMany(s => s.Outputs))
                AssertNoCompilerObjects(output.Value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    private static void AssertNoCompilerObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        Assert.False(value is Compilation or ISymbol or SyntaxNode or Location or SemanticModel or SyntaxTree,
            $"step {step} holds a {value.GetType().Name}");
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        if (value is IEnumerable sequence)
        {
            foreach (var item in sequence) AssertNoCompilerObjects(item, step, seen);
            return;
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertNoCompilerObjects(field.GetValue(value), step, seen);
    }
}
