using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Emit;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Parsing;

/// <summary>
/// MG0013: a model class named like a member of the generated code. MG0014: a layer property whose name, or a name the
/// generated code derives from it, is already a name of the generated code. MG0015: a member the user wrote in the
/// model class (in any of its declarations) that the generated code would declare again. Without these checks the
/// emitter would write a member named like its class (CS0542 inside generated code), a duplicate member (CS0102 or
/// CS0111) or a buffer hidden by a method parameter. Runs on a model that is otherwise valid, because the derived names
/// come from laying it out.
/// </summary>
internal static class NameCheck
{
    /// <summary>
    /// Reports at most one MG0013 on the class name (<paramref name="identifier"/>), one MG0014 per layer property, on
    /// its name, and one MG0015 per colliding member of <paramref name="type"/>, on its name; <paramref name="locations"/>
    /// runs parallel to the properties.
    /// </summary>
    public static void Report(ModelSpec model, INamedTypeSymbol type, Location identifier, IReadOnlyList<Location?> locations, ParseContext context)
    {
        var names = GeneratedNames.Of(model);
        ReportClassName(model, names, identifier, context);
        // The list holds the model's own names first, then each layer's in declaration order: the first holder of a
        // name is the one that keeps it.
        var first = new Dictionary<string, GeneratedName>(System.StringComparer.Ordinal);
        foreach (var name in names)
        {
            string unescaped = GeneratedNames.Unescaped(name.Identifier);
            if (!first.ContainsKey(unescaped)) first.Add(unescaped, name);
        }
        for (int layer = 0; layer < model.Properties.Count; layer++)
        {
            if (Find(model, names, first, layer) is { } collision)
            {
                context.Report(DiagnosticDescriptors.NameCollision, locations[layer],
                    model.Properties[layer].PropertyName, collision.Name, collision.Mine, collision.Theirs);
            }
        }
        ReportMembers(model, type, names, context);
    }

    /// <summary>
    /// MG0013. C# names no member like its class (CS0542). Only the members the generated class declares count: the
    /// constructor is the class's own name, and a class named <c>rows</c> or <c>set_Parameters</c> is legal (see
    /// <see cref="Declared"/>). Reported on the class rather than on a layer whose buffer it names, as renaming a layer
    /// renames its parameters in the <c>state_dict</c>.
    /// </summary>
    private static void ReportClassName(ModelSpec model, List<GeneratedName> names, Location identifier, ParseContext context)
    {
        foreach (var name in names)
        {
            if (GeneratedNames.Unescaped(name.Identifier) != model.ClassName || !Declared(name)) continue;
            context.Report(DiagnosticDescriptors.UnsupportedModelClass, identifier, model.ClassName,
                $"'{model.ClassName}' would name both the class and {Describe(model, name, layer: -1)}, and a member may not be named like its class; rename the class");
            return;
        }
    }

    /// <summary>
    /// Whether the generated class declares a member of this name: every generated name but the <c>rows</c> and
    /// <c>accumulate</c> parameters and the setter's name C# reserves for a property that has none (<c>set_Parameters</c>).
    /// The compiler compares the class name (CS0542) with these alone.
    /// </summary>
    private static bool Declared(GeneratedName name)
    {
        if (name.IsParameter) return false;
        // No view of an arena has a setter.
        return name.Accessor != Accessor.Set
            || (name.Kind == GeneratedNameKind.Property && FixedProperty(name.Property).HasSetter);
    }

    /// <summary>
    /// MG0015. C#'s rules, so that nothing legal is reported: a member that is not a method may not share its name with
    /// any generated member (CS0102), nor may a method share its name with a generated member that is not a method; a
    /// method named like a generated method collides only with its parameter list (CS0111; with another list it is an
    /// overload), and so does an instance constructor with the generated one's. The names C# reserves for the accessors
    /// of a generated property P of type T, <c>get_P()</c> and <c>set_P(T)</c> whether P has a setter or not, are
    /// generated names too, which a method takes only with that parameter list, type parameters or not (CS0082). An
    /// explicit interface implementation, which has no simple name, collides only with the generated ones (CS0102);
    /// the generated code implements every other interface member implicitly, so an explicit implementation of it is
    /// legal. Members the compiler declares (a default constructor, backing fields), the layer properties (MG0014's)
    /// and the accessors of hand-written properties and events are not checked: no generated method is named like an
    /// accessor, and the compiler reports an accessor's clash with a generated buffer (of a layer named GetX) on the
    /// hand-written member. The <c>rows</c> and <c>accumulate</c> parameters are not members.
    /// </summary>
    private static void ReportMembers(ModelSpec model, INamedTypeSymbol type, List<GeneratedName> names, ParseContext context)
    {
        var taken = new Dictionary<string, GeneratedName>(System.StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name.IsParameter) continue;
            string identifier = GeneratedNames.Unescaped(name.Identifier);
            if (!taken.ContainsKey(identifier)) taken.Add(identifier, name);
        }

        Dictionary<string, string[]>? signatures = null;
        // Described with layer -1, as no generated name is the hand-written member's own.
        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol property && GeneratedExplicitlyToo(property) is { } implemented)
            {
                string name = implemented.ContainingType.Name + "." + implemented.Name;
                context.Report(DiagnosticDescriptors.MemberCollision, member.Locations.FirstOrDefault(), name, name, "property",
                    "the generated explicit implementation, which returns the constant " + implemented.Name, "remove the property");
                continue;
            }
            // The cheap test first: a name of its own (nearly every member) or a constructor.
            GeneratedName generated = default;
            bool constructor = member.Name == ModelEmitter.ConstructorName;
            if (!constructor && !taken.TryGetValue(member.Name, out generated)) continue;
            if (member.IsImplicitlyDeclared) continue;

            string? what = What(member, model);
            if (what is null) continue;
            bool accessor = generated.Accessor != Accessor.None;
            if (member is IMethodSymbol method && (constructor || accessor || generated.Kind == GeneratedNameKind.Method))
            {
                string[] parameters;
                if (accessor) parameters = AccessorParameters(generated, model.TokenInput);
                else if (!(signatures ??= Signatures(model.TokenInput)).TryGetValue(member.Name, out parameters)) continue;
                // Type parameters make another method (CS0111), but not another accessor name (CS0082 compares parameters only).
                if ((method.Arity != 0 && !accessor) || !SameParameters(method, parameters)) continue;
                context.Report(DiagnosticDescriptors.MemberCollision, member.Locations.FirstOrDefault(),
                    constructor ? type.Name : member.Name, method.ToDisplayString(s_signature), what,
                    constructor ? "the generated constructor" : Describe(model, generated, layer: -1),
                    constructor ? "change its parameters" : "rename the method or change its parameters");
            }
            else
            {
                context.Report(DiagnosticDescriptors.MemberCollision, member.Locations.FirstOrDefault(),
                    member.Name, member.Name, what, Describe(model, generated, layer: -1), "rename the " + what);
            }
        }
    }

    /// <summary>The interface property <paramref name="property"/> implements explicitly, if the generated code implements it explicitly too.</summary>
    private static IPropertySymbol? GeneratedExplicitlyToo(IPropertySymbol property)
    {
        foreach (var implemented in property.ExplicitInterfaceImplementations)
        {
            if (ModelEmitter.ExplicitImplementations.Contains(implemented.Name)
                && implemented.ContainingType.ToDisplayString() == ModelEmitter.ExplicitInterface)
                return implemented;
        }
        return null;
    }

    /// <summary>What a hand-written member is, in the message; null for a member this check leaves alone.</summary>
    private static string? What(ISymbol member, ModelSpec model) => member switch
    {
        IMethodSymbol { MethodKind: MethodKind.Ordinary } => "method",
        IMethodSymbol { MethodKind: MethodKind.Constructor } => "constructor",
        IFieldSymbol { IsConst: true } => "constant",
        IFieldSymbol => "field",
        IPropertySymbol { IsIndexer: true } => null, // an [IndexerName] clash the compiler reports on the indexer itself
        IPropertySymbol { ExplicitInterfaceImplementations.Length: > 0 } => null,
        IPropertySymbol property when IsLayer(property.Name, model) => null,
        IPropertySymbol => "property",
        IEventSymbol { ExplicitInterfaceImplementations.Length: > 0 } => null,
        IEventSymbol => "event",
        INamedTypeSymbol { IsRecord: true } => "record",
        INamedTypeSymbol nested => nested.TypeKind switch
        {
            TypeKind.Struct => "struct",
            TypeKind.Interface => "interface",
            TypeKind.Enum => "enum",
            TypeKind.Delegate => "delegate",
            _ => "class",
        },
        _ => null,
    };

    private static bool IsLayer(string name, ModelSpec model)
    {
        foreach (var property in model.Properties)
        {
            if (property.PropertyName == name) return true;
        }
        return false;
    }

    private static Dictionary<string, string[]> Signatures(bool tokenInput)
    {
        var signatures = new Dictionary<string, string[]>(System.StringComparer.Ordinal);
        foreach (var (name, parameters) in ModelEmitter.FixedSignatures(tokenInput)) signatures.Add(name, parameters);
        return signatures;
    }

    /// <summary>The parameter types C# reserves for an accessor of a generated property: none for get_P, P's type for set_P.</summary>
    private static string[] AccessorParameters(GeneratedName accessor, bool tokenInput)
    {
        if (accessor.Accessor == Accessor.Get) return [];
        string type = accessor.Kind == GeneratedNameKind.Property
            ? FixedProperty(accessor.Property).Type
            : ModelEmitter.ViewType(accessor.Kind, tokenInput);
        return [type];
    }

    // Any fixed property a generated class may declare (a timed model's KernelTimes included): only names the class
    // does declare are looked up.
    private static (string Name, string Type, bool HasSetter) FixedProperty(string name) => ModelEmitter.FixedProperties(timesKernels: true).First(p => p.Name == name);

    /// <summary>
    /// Whether <paramref name="method"/> has the parameter list of the generated method: the same types, each passed
    /// by value. Return types, parameter names, defaults, <c>params</c> and nullable annotations are not part of a
    /// signature.
    /// </summary>
    private static bool SameParameters(IMethodSymbol method, string[] generated)
    {
        if (method.Parameters.Length != generated.Length) return false;
        for (int i = 0; i < generated.Length; i++)
        {
            var parameter = method.Parameters[i];
            if (parameter.RefKind != RefKind.None
                || parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) != generated[i])
                return false;
        }
        return true;
    }

    /// <summary>A method as the message shows it: <c>Loss(ReadOnlySpan&lt;float&gt;, ReadOnlySpan&lt;int&gt;, int)</c>.</summary>
    private static readonly SymbolDisplayFormat s_signature = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        memberOptions: SymbolDisplayMemberOptions.IncludeParameters,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    private static (string Name, string Mine, string Theirs)? Find(
        ModelSpec model, List<GeneratedName> names, Dictionary<string, GeneratedName> first, int layer)
    {
        string property = model.Properties[layer].PropertyName;

        // The property itself is named like a generated member: the model's own, another layer's, or its own buffer
        // (a lowercase name is its own snake_case name). Named like the class it is the compiler's CS0542 already, on the
        // property, and the rows and accumulate parameters hide no property, as generated code never reads a layer property.
        foreach (var name in names)
        {
            if (name.IsParameter) continue;
            if (GeneratedNames.Unescaped(name.Identifier) == property) return (property, "this property", Describe(model, name, layer));
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
            string identifier = GeneratedNames.Unescaped(mine.Identifier);
            if (first[identifier] is { Layer: var holder } name && holder < layer
                && (shortest is null || identifier.Length < shortest.Value.Name.Length))
            {
                shortest = (identifier, Mine(mine), Describe(model, name, layer));
            }
        }
        return shortest;
    }

    /// <summary>A name of the layer's own, in MG0014's message: <c>its activation buffer</c>.</summary>
    private static string Mine(GeneratedName mine) => mine.Accessor == Accessor.None
        ? "its " + Noun(mine.Kind)
        : $"the {Noun(mine.Accessor)} C# reserves for its {Noun(mine.Kind)}";

    /// <summary>A generated name seen from layer <paramref name="layer"/> (-1 for a hand-written member), in the messages.</summary>
    private static string Describe(ModelSpec model, GeneratedName name, int layer)
    {
        string member = DescribeMember(model, name, layer);
        return name.Accessor == Accessor.None ? member : $"the {Noun(name.Accessor)} C# reserves for '{name.Property}', {member}";
    }

    private static string DescribeMember(ModelSpec model, GeneratedName name, int layer) => name.Kind switch
    {
        GeneratedNameKind.Constant => "a generated constant",
        GeneratedNameKind.Field => "a generated field",
        GeneratedNameKind.Property => "a generated property",
        GeneratedNameKind.Method => "a generated method",
        GeneratedNameKind.RowsParameter => "the parameter of the generated ForwardCore and BackwardCore",
        GeneratedNameKind.AccumulateParameter => "a parameter of the generated BackwardCore",
        GeneratedNameKind.RowBlockParameter => "a parameter of the generated ForwardRows",
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

    private static string Noun(Accessor accessor) => accessor == Accessor.Get ? "getter" : "setter";

    private static string Article(string noun) => (noun[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an " : "a ") + noun;
}
