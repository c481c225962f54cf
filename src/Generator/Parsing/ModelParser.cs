using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Layers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Parsing;

/// <summary>
/// Turns a [Model] class into a <see cref="ModelSpec"/>: reads each layer property in declaration order, infers the
/// shape that flows through them, and records a diagnostic at the attribute or argument that is wrong.
/// </summary>
internal static class ModelParser
{
    public const string ModelAttributeName = "ModelGen.ModelAttribute";

    public static (ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics) Parse(
        GeneratorAttributeSyntaxContext source, CancellationToken cancellationToken)
    {
        var context = new ParseContext();
        var model = Parse(source, context, cancellationToken);
        return (context.HasErrors ? null : model, context.Diagnostics.ToEquatableArray());
    }

    private static ModelSpec? Parse(GeneratorAttributeSyntaxContext source, ParseContext context, CancellationToken cancellationToken)
    {
        if (source.TargetSymbol is not INamedTypeSymbol type || source.TargetNode is not TypeDeclarationSyntax declaration)
            return null;
        var identifier = declaration.Identifier.GetLocation();

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            context.Report(DiagnosticDescriptors.ModelNotPartial, identifier, type.Name);
            return null;
        }
        if (type.ContainingType is not null)
        {
            context.Report(DiagnosticDescriptors.UnsupportedModelClass, identifier, type.Name, "declare it at namespace level, not nested in another type");
            return null;
        }
        if (type.IsGenericType || type.IsStatic || type.IsAbstract)
        {
            context.Report(DiagnosticDescriptors.UnsupportedModelClass, identifier, type.Name, "a model class cannot be generic, static or abstract");
            return null;
        }
        // The generated half is a partial class, and a record's value equality means nothing for a model's arenas.
        if (type.IsRecord)
        {
            context.Report(DiagnosticDescriptors.UnsupportedModelClass, identifier, type.Name, "a model class cannot be a record; declare it as a partial class");
            return null;
        }
        // C# makes every other constructor of a class with a primary constructor call it, and the generated M(int seed)
        // cannot know its arguments (CS8862 inside generated code).
        if (PrimaryConstructorParameters(type, cancellationToken) is { } primary)
        {
            context.Report(DiagnosticDescriptors.UnsupportedModelClass, primary.GetLocation(), type.Name,
                "a model class cannot have a primary constructor, which the generated constructor would have to call; declare an ordinary constructor that calls this(seed) instead");
            return null;
        }

        var modelAttribute = source.Attributes.FirstOrDefault();
        if (modelAttribute is null) return null;
        var reader = new AttributeReader(modelAttribute);
        int batchSize = reader.GetInt("BatchSize", 0);
        int inputSize = reader.GetInt("InputSize", 0);
        int sequenceLength = reader.GetInt("SequenceLength", 0);
        bool ok = context.Positive(reader, "BatchSize", $"[Model] on '{type.Name}'", batchSize);
        bool tokens = reader.Has("SequenceLength");
        bool bothInputs = reader.Has("InputSize") && tokens;
        if (bothInputs)
        {
            context.Report(DiagnosticDescriptors.ModelInput, reader.Location, type.Name,
                "set either InputSize (rows of floats) or SequenceLength (rows of token ids for an Embedding), not both");
            ok = false;
        }
        else if (!reader.Has("InputSize") && !tokens)
        {
            context.Report(DiagnosticDescriptors.ModelInput, reader.Location, type.Name,
                "set InputSize (floats per row) or, for a model that starts with an Embedding, SequenceLength (token ids per row)");
            ok = false;
        }
        else
        {
            ok &= tokens
                ? context.Positive(reader, "SequenceLength", $"[Model] on '{type.Name}'", sequenceLength)
                : context.Positive(reader, "InputSize", $"[Model] on '{type.Name}'", inputSize);
        }
        int inputWidth = tokens ? sequenceLength : inputSize;

        var flow = ok ? new Flow(ImmutableArray.Create(inputWidth), "the model input", tokens) : Flow.Unknown;
        var properties = new List<PropertySpec>();
        var locations = new List<Location?>();
        foreach (var property in LayerProperties(type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var spec = ParseProperty(property.Symbol, property.Attributes, ref flow, context);
            if (spec is null) continue;
            properties.Add(spec);
            locations.Add(property.Symbol.Locations.FirstOrDefault());
        }

        if (properties.Count == 0 && !context.HasErrors)
        {
            context.Report(DiagnosticDescriptors.NoLayers, identifier, type.Name);
            return null;
        }
        // With both inputs declared, MG0011 has already said so: one mistake, one error.
        if (tokens && !bothInputs && properties.Count > 0 && properties[0].Layer is not EmbeddingSpec)
        {
            context.Report(DiagnosticDescriptors.ModelInput, reader.LocationOf("SequenceLength"), type.Name,
                "SequenceLength declares rows of token ids, so the first layer must be an [Embedding]");
        }
        if (context.HasErrors) return null;

        var model = new ModelSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            Accessibility(type.DeclaredAccessibility),
            batchSize,
            tokens,
            inputWidth,
            properties.ToEquatableArray(),
            reader.GetBool("TimeKernels", false));
        // Last, as the names the generated code derives from each layer come from laying out a valid model: the class
        // name (MG0013), the layer properties' names (MG0014) and the other members of the class (MG0015).
        NameCheck.Report(model, type, identifier, locations, context);
        return context.HasErrors ? null : model;
    }

    /// <summary>The parameter list of the class's primary constructor, in whichever of its declarations it is; null if it has none.</summary>
    private static ParameterListSyntax? PrimaryConstructorParameters(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: { } parameters }) return parameters;
        }
        return null;
    }

    /// <summary>Properties carrying layer attributes, in source order (file, then position).</summary>
    private static IEnumerable<(IPropertySymbol Symbol, ImmutableArray<AttributeData> Attributes)> LayerProperties(INamedTypeSymbol type)
    {
        return type.GetMembers()
            .OfType<IPropertySymbol>()
            .Select(p => (Symbol: p, Attributes: p.GetAttributes()
                .Where(a => LayerTable.IsLayerAttribute(a.AttributeClass?.ToDisplayString()))
                .ToImmutableArray()))
            .Where(p => p.Attributes.Length > 0)
            .OrderBy(p => p.Symbol.Locations.FirstOrDefault()?.SourceTree?.FilePath ?? "", System.StringComparer.Ordinal)
            .ThenBy(p => p.Symbol.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0);
    }

    private static PropertySpec? ParseProperty(
        IPropertySymbol property, ImmutableArray<AttributeData> attributes, ref Flow flow, ParseContext context)
    {
        string name = TorchName(property.Name);
        var first = new AttributeReader(attributes[0]);
        string firstName = attributes[0].AttributeClass?.ToDisplayString() ?? "";
        string label = $"[{first.ShortName}] on '{property.Name}'";
        var propertyLocation = property.Locations.FirstOrDefault();

        LayerSpec? layer;
        if (firstName == LayerTable.ResidualAttributeName)
        {
            layer = ResidualLayer.Parse(first, attributes.RemoveAt(0), name, label, ref flow, context);
        }
        else if (attributes.Length > 1)
        {
            context.Report(DiagnosticDescriptors.UnsupportedNesting, new AttributeReader(attributes[1]).Location,
                $"More than one layer on '{property.Name}'",
                "declare one layer per property, or put [Residual] first to make the layers that follow its block");
            flow = Flow.Unknown;
            return null;
        }
        else
        {
            layer = LayerTable.Parsers[firstName](first, name, label, ref flow, context);
        }
        if (layer is null) return null;

        if (!IsPartialGetOnly(property))
        {
            context.Report(DiagnosticDescriptors.PropertyNotPartial, propertyLocation, property.Name);
            return null;
        }
        string expected = "ModelGen." + layer.ModuleType;
        if (property.Type.ToDisplayString() != expected)
        {
            var typeLocation = (property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() as PropertyDeclarationSyntax)?.Type.GetLocation();
            context.Report(DiagnosticDescriptors.PropertyTypeMismatch, typeLocation ?? propertyLocation,
                property.Name, property.Type.ToDisplayString(), layer.ModuleType);
            return null;
        }
        return new PropertySpec(property.Name, Accessibility(property.DeclaredAccessibility), layer);
    }

    private static bool IsPartialGetOnly(IPropertySymbol property)
    {
        if (property.IsStatic || property.SetMethod is not null) return false;
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is PropertyDeclarationSyntax syntax
                && syntax.Modifiers.Any(SyntaxKind.PartialKeyword)
                && syntax.ExpressionBody is null
                && syntax.Initializer is null
                && syntax.AccessorList is { } accessors
                && accessors.Accessors.Count == 1
                && accessors.Accessors[0].IsKind(SyntaxKind.GetAccessorDeclaration)
                && accessors.Accessors[0].Body is null
                && accessors.Accessors[0].ExpressionBody is null)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>PyTorch's attribute name for a C# property: <c>TokenEmbedding</c> → <c>token_embedding</c>.</summary>
    public static string TorchName(string propertyName)
    {
        var builder = new StringBuilder(propertyName.Length + 4);
        for (int i = 0; i < propertyName.Length; i++)
        {
            char c = propertyName[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(propertyName[i - 1]) || char.IsDigit(propertyName[i - 1])
                    || (i + 1 < propertyName.Length && char.IsLower(propertyName[i + 1]) && char.IsUpper(propertyName[i - 1])));
                if (boundary) builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static string Accessibility(Accessibility accessibility) => accessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Private => "private",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };
}
