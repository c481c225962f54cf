using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Generator;

namespace ModelGen.Tests.Generator;

/// <summary>Runs the generator in memory over source text, as the compiler would, and reports what it produced.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        // The framework the tests run on, plus the runtime the generated code calls.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(ModelAttribute).Assembly.Location);
        paths.Add(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Preview);

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "GeneratorTest",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Model{i}.cs")),
        s_references.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(bool trackSteps = true) => CSharpGeneratorDriver.Create(
        new[] { new ModelGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    public sealed record Result(
        CSharpCompilation Output,
        ImmutableArray<Diagnostic> GeneratorDiagnostics,
        ImmutableArray<Diagnostic> CompilationDiagnostics,
        IReadOnlyList<(string HintName, string Source)> Sources,
        ImmutableArray<Exception> Exceptions);

    /// <summary>Runs the generator over <paramref name="sources"/> and compiles the result.</summary>
    public static Result Run(params string[] sources)
    {
        var compilation = Compilation(sources);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var run = driver.GetRunResult();
        return new Result(
            (CSharpCompilation)output,
            generatorDiagnostics,
            output.GetDiagnostics(),
            run.Results.SelectMany(r => r.GeneratedSources).Select(s => (s.HintName, s.SourceText.ToString())).ToList(),
            run.Results.Select(r => r.Exception).Where(e => e is not null).Select(e => e!).ToImmutableArray());
    }

    /// <summary>The text of a source file of this test project, found from the caller's own path.</summary>
    public static string ReadTestSource(string relativePath, [CallerFilePath] string caller = "")
        => File.ReadAllText(Path.Combine(Path.GetDirectoryName(caller)!, "..", relativePath));
}
