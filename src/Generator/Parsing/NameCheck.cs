using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Emit;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Parsing;

/// <summary>
/// MG0014: a layer property whose name, or a name the generated code derives from it, is already a name of the
/// generated code. Without this check the emitter would write a duplicate member (CS0102 inside generated code) or a
/// buffer hidden by a method parameter. Runs on a model that is otherwise valid, because the derived names come from
/// laying it out.
/// </summary>
internal static class NameCheck
{
    /// <summary>Reports at most one MG0014 per layer property, on its name; <paramref name="locations"/> runs parallel to the properties.</summary>
    public static void Report(ModelSpec model, IReadOnlyList<Location?> locations, ParseContext context)
    {
        var names = GeneratedNames.Of(model);
        // The list holds the model's own names first, then each layer's in declaration order: the first holder of a
        // name is the one that keeps it.
        var first = new Dictionary<string, GeneratedName>(System.StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!first.ContainsKey(Unescaped(name.Identifier))) first.Add(Unescaped(name.Identifier), name);
        }
        for (int layer = 0; layer < model.Properties.Count; layer++)
        {
            if (Find(model, names, first, layer) is { } collision)
            {
                context.Report(DiagnosticDescriptors.NameCollision, locations[layer],
                    model.Properties[layer].PropertyName, collision.Name, collision.Mine, collision.Theirs);
            }
        }
    }

    private static (string Name, string Mine, string Theirs)? Find(
        ModelSpec model, List<GeneratedName> names, Dictionary<string, GeneratedName> first, int layer)
    {
        string property = model.Properties[layer].PropertyName;

        // The property itself is named like a generated member: the model's own, another layer's, or its own buffer
        // (a lowercase name is its own snake_case name). Named like the class it is the compiler's CS0542 already,
        // and the rows parameter hides no property, as generated code never reads a layer property.
        foreach (var name in names)
        {
            if (name.Kind is GeneratedNameKind.ClassName or GeneratedNameKind.RowsParameter) continue;
            if (Unescaped(name.Identifier) == property) return (property, "this property", Describe(model, name, layer));
        }

        // Two layers with one PyTorch name would share every buffer and every state_dict name.
        string torchName = model.Properties[layer].Layer.Name;
        for (int other = 0; other < layer; other++)
        {
            if (model.Properties[other].Layer.Name == torchName)
                return (torchName, "this layer", $"layer '{model.Properties[other].PropertyName}'");
        }

        // A name derived from this layer is already the model's own or an earlier layer's. The shortest such name is
        // the one to show: d_fc rather than the d_fc_weight that follows from it.
        (string Name, string Mine, string Theirs)? shortest = null;
        foreach (var mine in names)
        {
            if (mine.Layer != layer) continue;
            string identifier = Unescaped(mine.Identifier);
            if (first[identifier] is { Layer: var holder } name && holder < layer
                && (shortest is null || identifier.Length < shortest.Value.Name.Length))
            {
                shortest = (identifier, "its " + Noun(mine.Kind), Describe(model, name, layer));
            }
        }
        return shortest;
    }

    private static string Describe(ModelSpec model, GeneratedName name, int layer) => name.Kind switch
    {
        GeneratedNameKind.Constant => "a generated constant",
        GeneratedNameKind.Field => "a generated field",
        GeneratedNameKind.Property => "a generated property",
        GeneratedNameKind.Method => "a generated method",
        GeneratedNameKind.ClassName => "the model class and its constructor",
        GeneratedNameKind.RowsParameter => "the parameter of the generated ForwardCore and BackwardCore",
        GeneratedNameKind.InputBuffer => "the buffer of the model input",
        GeneratedNameKind.InputGradientBuffer => "the gradient buffer of the model input",
        GeneratedNameKind.SoftmaxBuffer => "the softmax buffer of the loss",
        _ when name.Layer == layer => "its own " + Noun(name.Kind),
        GeneratedNameKind.ModuleField => $"the module field of layer '{model.Properties[name.Layer].PropertyName}'",
        _ => $"{Article(Noun(name.Kind))} of layer '{model.Properties[name.Layer].PropertyName}'",
    };

    private static string Noun(GeneratedNameKind kind) => kind switch
    {
        GeneratedNameKind.ModuleField => "module field",
        GeneratedNameKind.ParameterView => "parameter view",
        GeneratedNameKind.ParameterGradientView => "parameter gradient view",
        GeneratedNameKind.ActivationBuffer => "activation buffer",
        GeneratedNameKind.ActivationGradientBuffer => "activation gradient buffer",
        GeneratedNameKind.DerivativeBuffer => "saved derivative buffer",
        _ => "member",
    };

    private static string Article(string noun) => (noun[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an " : "a ") + noun;

    /// <summary>A buffer named after a layer is written <c>@out</c> when its name is a C# keyword; the name is <c>out</c>.</summary>
    private static string Unescaped(string identifier) => identifier.StartsWith("@", System.StringComparison.Ordinal) ? identifier.Substring(1) : identifier;
}
