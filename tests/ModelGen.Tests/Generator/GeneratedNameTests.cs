using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using ModelGen.Generator.Emit;

namespace ModelGen.Tests.Generator;

/// <summary>
/// MG0014 knows every name the generated code declares: each member of a generated model class (read from the
/// generated syntax, not from the generator's own table), given to one more layer of that model, is reported on that
/// layer's name; and the generator's table of fixed members lists nothing the generated code lacks.
/// </summary>
public sealed class GeneratedNameTests
{
    /// <summary>A model of TestModels.cs on its own: EveryLayer reads the float input with a norm; TinyCharModel reads tokens.</summary>
    private static string ModelSource(string className)
    {
        string models = GeneratorHarness.ReadTestSource("Models/TestModels.cs").Replace("\r\n", "\n", StringComparison.Ordinal);
        int classLine = models.IndexOf($"public sealed partial class {className}\n", StringComparison.Ordinal);
        int start = models.LastIndexOf("[Model(", classLine, StringComparison.Ordinal);
        int end = models.IndexOf("\n}", classLine, StringComparison.Ordinal);
        return "using ModelGen;\n" + models[start..end] + "\n}\n";
    }

    /// <summary>The names of the members the generated code declares, besides the layer properties it implements, the constructor and explicit interface implementations.</summary>
    private static List<string> DeclaredMembers(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        var tree = result.Output.SyntaxTrees.Single(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal));
        var type = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Single();
        var names = new List<string>();
        foreach (var member in type.Members)
        {
            switch (member)
            {
                case FieldDeclarationSyntax field:
                    names.AddRange(field.Declaration.Variables.Select(v => v.Identifier.ValueText));
                    break;
                case PropertyDeclarationSyntax property when property.ExplicitInterfaceSpecifier is null
                    && !property.Modifiers.Any(m => m.ValueText == "partial"):
                    names.Add(property.Identifier.ValueText);
                    break;
                case MethodDeclarationSyntax method when method.ExplicitInterfaceSpecifier is null:
                    names.Add(method.Identifier.ValueText);
                    break;
            }
        }
        return names;
    }

    [Theory]
    [InlineData("EveryLayer")]
    [InlineData("TinyCharModel")]
    public void EveryGeneratedMember_AsALayerName_IsMG0014(string className)
    {
        string source = ModelSource(className);
        var members = DeclaredMembers(source);
        Assert.True(members.Count > 60, $"only {members.Count} members found");
        Assert.Equal(members.Count, members.Distinct().Count());

        var failures = new List<string>();
        foreach (string name in members)
        {
            // One more layer at the end that keeps the shape: every member of the original model is still generated.
            string extra = $"    [Dropout(P = 0.5)]\n    public partial Dropout {name} {{ get; }}\n}}\n";
            string withLayer = source[..source.LastIndexOf('}')] + extra;
            var diagnostics = GeneratorHarness.Driver(trackSteps: false)
                .RunGenerators(GeneratorHarness.Compilation(withLayer)).GetRunResult().Diagnostics;
            var expected = new TextSpan(withLayer.LastIndexOf($" {name} {{ get; }}", StringComparison.Ordinal) + 1, name.Length);
            if (diagnostics.Length != 1 || diagnostics[0].Id != "MG0014" || diagnostics[0].Location.SourceSpan != expected)
                failures.Add($"{name}: {string.Join("; ", diagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)))}");
        }
        Assert.True(failures.Count == 0, "not reported as MG0014 on the layer's name:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void FixedMemberTable_ListsOnlyDeclaredMembers()
    {
        var floatMembers = DeclaredMembers(ModelSource("EveryLayer"));
        var tokenMembers = DeclaredMembers(ModelSource("TinyCharModel"));
        Assert.Subset(floatMembers.ToHashSet(), ModelEmitter.FixedMembers(tokenInput: false, savesDerivatives: true).Select(m => m.Name).ToHashSet());
        Assert.Subset(tokenMembers.ToHashSet(), ModelEmitter.FixedMembers(tokenInput: true, savesDerivatives: true).Select(m => m.Name).ToHashSet());
    }
}
