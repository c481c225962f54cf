using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using ModelGen.Generator.Diagnostics;
using ModelGen.Tests.Generator;
using ModelGen.Tests.Models;

namespace ModelGen.Tests.Docs;

/// <summary>
/// The reference pages in docs/ say what the code does: every diagnostic example triggers its ID with the printed
/// message and every fix compiles; the attribute tables give the attribute classes' defaults; the checkpoint page
/// lists the names and shapes the generator gives.
/// </summary>
public sealed partial class DocsTests
{
    private static string Doc(string name, [CallerFilePath] string caller = "")
        => File.ReadAllText(Path.Combine(Path.GetDirectoryName(caller)!, "..", "..", "..", "docs", name));

    /// <summary>
    /// The sections of a page under headings of <paramref name="level"/> '#'s, by heading text; a section runs to the
    /// next heading of that level or higher. Lines inside fenced code are never headings.
    /// </summary>
    private static Dictionary<string, string> Sections(string markdown, int level)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? heading = null;
        var body = new List<string>();
        bool inCode = false;
        foreach (string line in markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) inCode = !inCode;
            var match = inCode ? Match.Empty : Heading().Match(line);
            if (match.Success && match.Groups[1].Length <= level)
            {
                if (heading is not null) sections[heading] = string.Join('\n', body);
                heading = match.Groups[1].Length == level ? match.Groups[2].Value.Trim() : null;
                body.Clear();
            }
            else if (heading is not null)
            {
                body.Add(line);
            }
        }
        if (heading is not null) sections[heading] = string.Join('\n', body);
        return sections;
    }

    [GeneratedRegex(@"^(#+) (.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"```(\w+)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^    error (MG\d{4}): (.*)$", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    private static IReadOnlyList<(string Language, string Code)> CodeBlocks(string section)
        => CodeBlock().Matches(section.Replace("\r\n", "\n", StringComparison.Ordinal))
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();

    // ---- diagnostics.md

    private static readonly Lazy<Dictionary<string, string>> s_diagnosticSections = new(() =>
        Sections(Doc("diagnostics.md"), 2).Where(s => s.Key.StartsWith("MG", StringComparison.Ordinal))
            .ToDictionary(s => s.Key[..6], s => "## " + s.Key + "\n" + s.Value));

    public static TheoryData<string> DiagnosticIds() => new(DiagnosticDescriptors.All.Select(d => d.Id));

    [Fact]
    public void DiagnosticsPage_HasASectionForEveryId_TitledAsTheDescriptor()
    {
        var sections = s_diagnosticSections.Value;
        Assert.Equal(DiagnosticDescriptors.All.Select(d => d.Id).OrderBy(id => id), sections.Keys.OrderBy(id => id));
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            string heading = sections[descriptor.Id].Split('\n')[0];
            Assert.Equal($"## {descriptor.Id}: {descriptor.Title}", heading);
        }
    }

    [Theory]
    [MemberData(nameof(DiagnosticIds))]
    public void DiagnosticsPage_EachExampleReportsItsIdAndThePrintedMessage(string id)
    {
        string section = s_diagnosticSections.Value[id];
        var examples = CodeBlocks(section).Where(b => b.Code.StartsWith("// error " + id, StringComparison.Ordinal)).ToList();
        var messages = ErrorLine().Matches(section).Select(m => (Id: m.Groups[1].Value, Text: m.Groups[2].Value.TrimEnd())).ToList();
        Assert.NotEmpty(examples);
        Assert.Equal(examples.Count, messages.Count); // one printed message after each example, in order

        for (int i = 0; i < examples.Count; i++)
        {
            var result = GeneratorHarness.Run(examples[i].Code);
            Assert.Empty(result.Exceptions);
            var diagnostic = Assert.Single(result.GeneratorDiagnostics);
            Assert.Equal(id, diagnostic.Id);
            Assert.Equal(id, messages[i].Id);
            Assert.Equal(messages[i].Text, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [MemberData(nameof(DiagnosticIds))]
    public void DiagnosticsPage_EachFixCompilesWithoutDiagnostics(string id)
    {
        var fixes = CodeBlocks(s_diagnosticSections.Value[id]).Where(b => b.Code.StartsWith("// fixed", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(fixes);
        foreach (var (_, code) in fixes)
        {
            var result = GeneratorHarness.Run(code);
            Assert.Empty(result.Exceptions);
            Assert.Empty(result.GeneratorDiagnostics);
            Assert.Empty(result.CompilationDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
            Assert.Single(result.Sources);
        }
    }

    // ---- layers.md

    public static TheoryData<string> AttributeTypes() => new(
        typeof(ModelAttribute).Assembly.GetExportedTypes()
            .Where(t => t == typeof(ModelAttribute) || (t.IsSubclassOf(typeof(LayerAttribute)) && !t.IsAbstract))
            .Select(t => t.Name));

    [Theory]
    [MemberData(nameof(AttributeTypes))]
    public void LayersPage_DocumentsEveryAttributeProperty_WithItsDefault(string typeName)
    {
        var type = typeof(ModelAttribute).Assembly.GetType("ModelGen." + typeName)!;
        string shortName = typeName[..^"Attribute".Length];
        var sections = Sections(Doc("layers.md"), 3);
        Assert.True(sections.TryGetValue($"`[{shortName}]`", out string? section), $"layers.md has no section \"### `[{shortName}]`\"");

        // Table rows: | `Name` | `type` | default | meaning |
        var rows = section!.Split('\n')
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(c => c[1].Trim('`'), c => (Type: c[2].Trim('`'), Default: c[3]));
        var instance = Activator.CreateInstance(type)!;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.Equal(properties.Select(p => p.Name).Order(), rows.Keys.Order());

        foreach (var property in properties)
        {
            var (docType, docDefault) = rows[property.Name];
            Assert.Equal(TypeName(property.PropertyType), docType);
            object value = property.GetValue(instance)!;
            if (docDefault.StartsWith("required", StringComparison.Ordinal))
            {
                Assert.True(value is 0, $"{shortName}.{property.Name} is documented as required but defaults to {value}");
                continue;
            }
            string literal = docDefault.Split('`')[1];
            bool matches = value switch
            {
                bool b => literal == (b ? "true" : "false"),
                int n => literal == n.ToString(CultureInfo.InvariantCulture),
                double d => double.Parse(literal, CultureInfo.InvariantCulture) == d,
                Enum e => literal == e.ToString(),
                _ => false,
            };
            Assert.True(matches, $"{shortName}.{property.Name}: layers.md says {literal}, the attribute's default is {value}");
        }
    }

    private static string TypeName(Type type) => type == typeof(int) ? "int" : type == typeof(double) ? "double" : type == typeof(bool) ? "bool" : type.Name;

    // ---- checkpoints.md

    [GeneratedRegex(@"^(\S+) \(([\d, ]+)\)$")]
    private static partial Regex NameAndShape();

    [Fact]
    public void CheckpointsPage_ListsTheGeneratedNamesAndShapesOfItsExample()
    {
        string listing = CodeBlocks(Doc("checkpoints.md")).Single(b => b.Language == "text").Code;
        var documented = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => NameAndShape().Match(l.Trim()))
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        var generated = new EveryLayer().ParameterTable.Select(p => (p.Name, string.Join(", ", p.Shape))).ToList();
        Assert.Equal(generated, documented);
    }

    [Fact]
    public void CheckpointsPage_DeclaresTheExampleAsTheTestModel()
    {
        // The page's C# declaration is the EveryLayer of TestModels.cs, attribute for attribute.
        string declared = CodeBlocks(Doc("checkpoints.md")).First(b => b.Language == "csharp").Code;
        string testModels = GeneratorHarness.ReadTestSource("Models/TestModels.cs");
        int start = testModels.IndexOf("[Model(BatchSize = 5, InputSize = 6)]", StringComparison.Ordinal);
        int end = testModels.IndexOf("\n}", start, StringComparison.Ordinal) + 2;
        Assert.Equal(Normalize(testModels[start..end]), Normalize(declared));

        static string Normalize(string code) => string.Join('\n', code.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0));
    }
}
