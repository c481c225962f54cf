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
/// MG0013, MG0014 and MG0015 know every name the generated code declares: each member of a generated model class (read
/// from the generated syntax, not from the generator's own table), given to the class, is reported on the class name,
/// given to one more layer of that model, on that layer's name, and given to a hand-written member (or, for an
/// explicit interface implementation, to a hand-written one), on that member's name; the generator's table of fixed members
/// lists nothing the generated code lacks, its table of their parameter lists is exactly the generated methods', and its
/// table of explicit implementations exactly the generated ones.
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

    [Theory]
    [InlineData("EveryLayer")]
    [InlineData("TinyCharModel")]
    public void EveryGeneratedMember_AsTheClassName_IsMG0013(string className)
    {
        string source = ModelSource(className);
        var failures = new List<string>();
        foreach (string name in DeclaredMembers(source))
        {
            if (!ReportedOnTheClass(source, className, name)) failures.Add(name);
        }
        Assert.True(failures.Count == 0, "not reported as MG0013 on the class name:\n" + string.Join("\n", failures));
    }

    /// <summary>Whether the model <paramref name="source"/>, with its class renamed to <paramref name="name"/>, reports MG0013 alone, on the class name; false if it reports nothing.</summary>
    private static bool ReportedOnTheClass(string source, string className, string name)
    {
        string renamed = source.Replace($"partial class {className}\n", $"partial class {name}\n", StringComparison.Ordinal);
        var diagnostics = GeneratorHarness.Driver(trackSteps: false)
            .RunGenerators(GeneratorHarness.Compilation(renamed)).GetRunResult().Diagnostics;
        if (diagnostics.Length == 0) return false;
        var span = new TextSpan(renamed.IndexOf($"partial class {name}\n", StringComparison.Ordinal) + "partial class ".Length, name.Length);
        Assert.True(diagnostics.Length == 1 && diagnostics[0].Id == "MG0013" && diagnostics[0].Location.SourceSpan == span,
            $"class {name}: {string.Join("; ", diagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)))}");
        return true;
    }

    [Theory]
    [InlineData("EveryLayer")]
    [InlineData("TinyCharModel")]
    public void EveryGeneratedMember_AsAHandWrittenMember_IsMG0015(string className)
    {
        string source = ModelSource(className);
        var members = DeclaredMembers(source);
        var methods = GeneratedMethods(source);
        var failures = new List<string>();
        foreach (string name in members)
        {
            // A field of that name collides with every generated member.
            Check(name, $"    public int {name};\n", $" {name};", expected: true);
        }
        foreach (var (interfaceName, name) in ExplicitImplementations(source))
        {
            // An explicit implementation of what the generated code implements explicitly.
            Check(name, $"    int global::{interfaceName}.{name} => 0;\n", $".{name} =>", expected: true);
        }
        foreach (var (name, parameters) in methods)
        {
            // A method with the generated method's parameter list collides; with one more parameter it is an overload.
            string declaredName = name == ModelEmitter.ConstructorName ? className : name;
            string returnType = name == ModelEmitter.ConstructorName ? "" : "void ";
            string list = string.Join(", ", parameters.Select((type, i) => $"{type} p{i}"));
            Check(declaredName, $"    public {returnType}{declaredName}({list}) {{ }}\n", $" {declaredName}(", expected: true);
            string longer = string.Join(", ", parameters.Select((type, i) => $"{type} p{i}").Append("bool extra"));
            Check(declaredName, $"    public {returnType}{declaredName}({longer}) {{ }}\n", $" {declaredName}(", expected: false);
        }
        Assert.True(failures.Count == 0, "not reported as expected:\n" + string.Join("\n", failures));

        void Check(string name, string member, string marker, bool expected)
        {
            string withMember = source[..source.LastIndexOf('}')] + member + "}\n";
            var diagnostics = GeneratorHarness.Driver(trackSteps: false)
                .RunGenerators(GeneratorHarness.Compilation(withMember)).GetRunResult().Diagnostics;
            var span = new TextSpan(withMember.LastIndexOf(marker, StringComparison.Ordinal) + 1, name.Length);
            bool reported = diagnostics.Length == 1 && diagnostics[0].Id == "MG0015" && diagnostics[0].Location.SourceSpan == span;
            if (reported != expected || (!expected && diagnostics.Length > 0))
                failures.Add($"{member.Trim()}: {string.Join("; ", diagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)))}");
        }
    }

    [Theory]
    [InlineData("EveryLayer")]
    [InlineData("TinyCharModel")]
    public void EveryGeneratedProperty_ItsAccessorNames_AreReserved(string className)
    {
        // C# reserves get_P() and set_P(T) for every property P of type T, with a setter or not: a layer property of
        // either name is MG0014, a hand-written method with that parameter list MG0015, and one with another an overload.
        // The class may not be named like an accessor the class declares: the getter, and a setter if any.
        string source = ModelSource(className);
        var properties = GeneratedProperties(source);
        Assert.True(properties.Count > 30, $"only {properties.Count} properties found");
        Assert.Contains(properties, p => p.HasSetter);
        var failures = new List<string>();
        foreach (var (name, type, hasSetter) in properties)
        {
            Check("MG0014", $"get_{name}", $"    [Dropout(P = 0.5)]\n    public partial Dropout get_{name} {{ get; }}\n", expected: true);
            Check("MG0015", $"get_{name}", $"    public void get_{name}() {{ }}\n", expected: true);
            Check("MG0015", $"set_{name}", $"    public void set_{name}({type} value) {{ }}\n", expected: true);
            Check("MG0015", $"set_{name}", $"    public void set_{name}({type} value, bool extra) {{ }}\n", expected: false);
            if (!ReportedOnTheClass(source, className, $"get_{name}")) failures.Add($"class get_{name}: not reported");
            if (ReportedOnTheClass(source, className, $"set_{name}") != hasSetter) failures.Add($"class set_{name}: reported {!hasSetter}");
        }
        Assert.True(failures.Count == 0, "not reported as expected:\n" + string.Join("\n", failures));

        void Check(string id, string name, string member, bool expected)
        {
            string withMember = source[..source.LastIndexOf('}')] + member + "}\n";
            var diagnostics = GeneratorHarness.Driver(trackSteps: false)
                .RunGenerators(GeneratorHarness.Compilation(withMember)).GetRunResult().Diagnostics;
            var span = new TextSpan(withMember.LastIndexOf($" {name}", StringComparison.Ordinal) + 1, name.Length);
            bool reported = diagnostics.Length == 1 && diagnostics[0].Id == id && diagnostics[0].Location.SourceSpan == span;
            if (reported != expected || (!expected && diagnostics.Length > 0))
                failures.Add($"{member.Trim()}: {string.Join("; ", diagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)))}");
        }
    }

    /// <summary>The properties the generated code declares, besides the layer properties and explicit interface implementations, with their types and whether each has a setter, from the compiled generated code.</summary>
    private static List<(string Name, string Type, bool HasSetter)> GeneratedProperties(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        var tree = result.Output.SyntaxTrees.Single(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal));
        var semantic = result.Output.GetSemanticModel(tree);
        var type = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Single();
        return type.Members.OfType<PropertyDeclarationSyntax>()
            .Where(p => p.ExplicitInterfaceSpecifier is null && !p.Modifiers.Any(m => m.ValueText == "partial"))
            .Select(p => (IPropertySymbol)semantic.GetDeclaredSymbol(p)!)
            .Select(p => (p.Name, p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), p.SetMethod is not null))
            .ToList();
    }

    /// <summary>The generated methods and constructor (as <see cref="ModelEmitter.ConstructorName"/>) with their parameter types, from the compiled generated code.</summary>
    private static List<(string Name, string[] Parameters)> GeneratedMethods(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        var tree = result.Output.SyntaxTrees.Single(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal));
        var semantic = result.Output.GetSemanticModel(tree);
        var type = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Single();
        var methods = new List<(string Name, string[] Parameters)>();
        foreach (var member in type.Members.Where(m => m is ConstructorDeclarationSyntax
            or MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null }))
        {
            var method = (IMethodSymbol)semantic.GetDeclaredSymbol(member)!;
            Assert.Equal(0, method.Arity);
            Assert.All(method.Parameters, p => Assert.Equal(RefKind.None, p.RefKind));
            methods.Add((method.Name, method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).ToArray()));
        }
        return methods;
    }

    /// <summary>The interface members the generated code implements explicitly, as (interface, member), from the compiled generated code.</summary>
    private static List<(string Interface, string Member)> ExplicitImplementations(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        var tree = result.Output.SyntaxTrees.Single(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal));
        var semantic = result.Output.GetSemanticModel(tree);
        var type = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Single();
        var implemented = new List<(string Interface, string Member)>();
        foreach (var member in type.Members.Where(m => m is BasePropertyDeclarationSyntax { ExplicitInterfaceSpecifier: not null }
            or MethodDeclarationSyntax { ExplicitInterfaceSpecifier: not null }))
        {
            ISymbol implementation = semantic.GetDeclaredSymbol(member) switch
            {
                IPropertySymbol property => Assert.Single(property.ExplicitInterfaceImplementations),
                IMethodSymbol method => Assert.Single(method.ExplicitInterfaceImplementations),
                IEventSymbol @event => Assert.Single(@event.ExplicitInterfaceImplementations),
                var other => throw new InvalidOperationException($"unexpected {other}"),
            };
            implemented.Add((implementation.ContainingType.ToDisplayString(), implementation.Name));
        }
        return implemented;
    }

    [Theory]
    [InlineData("EveryLayer")]
    [InlineData("TinyCharModel")]
    public void ExplicitImplementationTable_IsTheGeneratedOnes(string className)
    {
        Assert.Equal(
            ModelEmitter.ExplicitImplementations.Select(name => (ModelEmitter.ExplicitInterface, name)),
            ExplicitImplementations(ModelSource(className)));
    }

    [Theory]
    [InlineData("EveryLayer", false)]
    [InlineData("TinyCharModel", true)]
    public void FixedSignatureTable_IsTheGeneratedMethods(string className, bool tokenInput)
    {
        static string Text(IEnumerable<(string Name, string[] Parameters)> methods)
            => string.Join("\n", methods.Select(m => $"{m.Name}({string.Join(", ", m.Parameters)})").Order(StringComparer.Ordinal));

        var table = ModelEmitter.FixedSignatures(tokenInput).ToList();
        Assert.Equal(Text(GeneratedMethods(ModelSource(className))), Text(table));
        // The two tables agree: every fixed method has its parameter list, and nothing else has one.
        Assert.Equal(
            ModelEmitter.FixedMembers(tokenInput, savesDerivatives: true, forwardRows: true).Where(m => m.Kind == GeneratedNameKind.Method).Select(m => m.Name)
                .Append(ModelEmitter.ConstructorName).Order(StringComparer.Ordinal),
            table.Select(m => m.Name).Order(StringComparer.Ordinal));
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
