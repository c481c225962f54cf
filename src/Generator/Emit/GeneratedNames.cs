using System.Collections.Generic;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Emit;

/// <summary>What a name in the generated code is, for the messages of MG0013, MG0014 and MG0015.</summary>
internal enum GeneratedNameKind
{
    Constant,
    Field,
    Property,
    Method,
    /// <summary>The <c>rows</c> parameter of ForwardCore and BackwardCore, which hides any member of that name there.</summary>
    RowsParameter,
    /// <summary>The <c>accumulate</c> parameter of BackwardCore, which hides any member of that name there.</summary>
    AccumulateParameter,
    /// <summary>The <c>part</c> and <c>first</c> parameters of ForwardRows, which hide any member of those names there.</summary>
    RowBlockParameter,
    InputBuffer,
    InputGradientBuffer,
    SoftmaxBuffer,
    ModuleField,
    ParameterView,
    ParameterGradientView,
    ActivationBuffer,
    ActivationGradientBuffer,
    DerivativeBuffer,
}

/// <summary>
/// The accessors whose names C# reserves for every property P of type T, with a setter or not: <c>get_P()</c> and
/// <c>set_P(T)</c>. Another member of either name is CS0102, a method with that parameter list CS0082.
/// </summary>
internal enum Accessor
{
    None,
    Get,
    Set,
}

/// <summary>
/// A name the generated code gives a member of the model class; <see cref="Layer"/> is the index of the layer property
/// it belongs to, -1 for the model's own. A name with an <see cref="Accessor"/> is the one C# reserves for that
/// accessor of a generated property (<c>get_Parameters</c>), and <see cref="Kind"/> is the property's.
/// </summary>
internal readonly record struct GeneratedName(string Identifier, GeneratedNameKind Kind, int Layer, Accessor Accessor = Accessor.None)
{
    /// <summary>The property whose accessor this name is: <c>Parameters</c> for <c>get_Parameters</c>.</summary>
    public string Property => Identifier.Substring("get_".Length);

    /// <summary>Whether this is a parameter of the generated passes (<c>rows</c>, <c>accumulate</c>) rather than a member.</summary>
    public bool IsParameter => Kind is GeneratedNameKind.RowsParameter or GeneratedNameKind.AccumulateParameter or GeneratedNameKind.RowBlockParameter;
}

/// <summary>
/// Every name the generated code declares in a model class, found by laying the model out exactly as
/// <see cref="ModelEmitter.Emit"/> does: the fixed API and fields, and the members named after each layer (its module
/// field, parameter views and activation buffers, which take the layer's PyTorch name: <c>body_layers_0_weight</c>,
/// <c>d_body_layers_0</c>); and after each property, the names C# reserves for its accessors (<c>get_body</c>,
/// <c>set_body</c>). <see cref="Parsing.NameCheck"/> reads them to report MG0013, MG0014 and MG0015 before the emitter
/// could write a duplicate, or a member named like its class.
/// </summary>
internal static class GeneratedNames
{
    public static List<GeneratedName> Of(ModelSpec model)
    {
        var layout = ModelEmitter.Lay(model);
        var plan = layout.Plan;
        var names = new List<GeneratedName>();
        bool forwardRows = ModelEmitter.HasForwardRows(model, layout);
        foreach (var (name, kind) in ModelEmitter.FixedMembers(model.TokenInput, savesDerivatives: plan.Derivatives.Count > 0, timesKernels: model.TimeKernels,
                     forwardRows: forwardRows))
            Add(names, name, kind, -1);
        names.Add(new GeneratedName("rows", GeneratedNameKind.RowsParameter, -1));
        names.Add(new GeneratedName("accumulate", GeneratedNameKind.AccumulateParameter, -1));
        if (forwardRows)
        {
            // ForwardRows declares the views its layers use as locals of the same names, beside these parameters.
            names.Add(new GeneratedName("part", GeneratedNameKind.RowBlockParameter, -1));
            names.Add(new GeneratedName("first", GeneratedNameKind.RowBlockParameter, -1));
        }

        var marks = layout.Marks;
        // What the plan holds before the first layer's mark is the float input's (and its scratch gradient).
        for (int i = 0; i < marks[0].Activations; i++)
            Add(names, plan.Activations[i].Member, GeneratedNameKind.InputBuffer, -1);
        for (int i = 0; i < marks[0].Gradients; i++)
            Add(names, plan.ActivationGradients[i].Member, GeneratedNameKind.InputGradientBuffer, -1);
        Add(names, layout.Probs.Member, GeneratedNameKind.SoftmaxBuffer, -1);

        for (int layer = 0; layer < layout.Layers.Count; layer++)
        {
            var (from, to) = (marks[layer], marks[layer + 1]);
            Add(names, ModelEmitter.ModuleField(model.Properties[layer]), GeneratedNameKind.ModuleField, layer);
            for (int i = from.Parameters; i < to.Parameters; i++)
            {
                Add(names, plan.Parameters[i].Member, GeneratedNameKind.ParameterView, layer);
                Add(names, ModelEmitter.GradientView(plan.Parameters[i]), GeneratedNameKind.ParameterGradientView, layer);
            }
            for (int i = from.Activations; i < to.Activations; i++)
                Add(names, plan.Activations[i].Member, GeneratedNameKind.ActivationBuffer, layer);
            for (int i = from.Gradients; i < to.Gradients; i++)
                Add(names, plan.ActivationGradients[i].Member, GeneratedNameKind.ActivationGradientBuffer, layer);
            for (int i = from.Derivatives; i < to.Derivatives; i++)
                Add(names, plan.Derivatives[i].Member, GeneratedNameKind.DerivativeBuffer, layer);
        }
        return names;
    }

    /// <summary>
    /// Adds a name and, if it names a property, the names of its accessors right after it: the list stays in its order,
    /// the model's own names first and then each layer's, as the first holder of a name is the one that keeps it.
    /// </summary>
    private static void Add(List<GeneratedName> names, string identifier, GeneratedNameKind kind, int layer)
    {
        names.Add(new GeneratedName(identifier, kind, layer));
        if (!IsProperty(kind)) return;
        // A buffer named after a C# keyword is written @out; its accessors are get_out and set_out.
        string property = Unescaped(identifier);
        names.Add(new GeneratedName("get_" + property, kind, layer, Accessor.Get));
        names.Add(new GeneratedName("set_" + property, kind, layer, Accessor.Set));
    }

    /// <summary>A buffer named after a layer is written <c>@out</c> when its name is a C# keyword; the name is <c>out</c>.</summary>
    public static string Unescaped(string identifier) => identifier.StartsWith("@", System.StringComparison.Ordinal) ? identifier.Substring(1) : identifier;

    /// <summary>Whether the generated code declares a name of this kind as a property: the fixed ones and every view of an arena.</summary>
    private static bool IsProperty(GeneratedNameKind kind) => kind is GeneratedNameKind.Property
        or GeneratedNameKind.InputBuffer or GeneratedNameKind.InputGradientBuffer or GeneratedNameKind.SoftmaxBuffer
        or GeneratedNameKind.ParameterView or GeneratedNameKind.ParameterGradientView or GeneratedNameKind.ActivationBuffer
        or GeneratedNameKind.ActivationGradientBuffer or GeneratedNameKind.DerivativeBuffer;
}
