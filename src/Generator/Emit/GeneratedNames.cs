using System.Collections.Generic;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Emit;

/// <summary>What a name in the generated code is, for the messages of MG0014 and MG0015.</summary>
internal enum GeneratedNameKind
{
    Constant,
    Field,
    Property,
    Method,
    /// <summary>The class name, which is also the constructor's: no other member may have it (CS0542).</summary>
    ClassName,
    /// <summary>The <c>rows</c> parameter of ForwardCore and BackwardCore, which hides any member of that name there.</summary>
    RowsParameter,
    /// <summary>The <c>accumulate</c> parameter of BackwardCore, which hides any member of that name there.</summary>
    AccumulateParameter,
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

/// <summary>A name the generated code gives a member of the model class; <see cref="Layer"/> is the index of the layer property it belongs to, -1 for the model's own.</summary>
internal readonly record struct GeneratedName(string Identifier, GeneratedNameKind Kind, int Layer);

/// <summary>
/// Every name the generated code declares in a model class, found by laying the model out exactly as
/// <see cref="ModelEmitter.Emit"/> does: the fixed API and fields, and the members named after each layer (its module
/// field, parameter views and activation buffers, which take the layer's PyTorch name: <c>body_layers_0_weight</c>,
/// <c>d_body_layers_0</c>). <see cref="Parsing.NameCheck"/> reads them to report MG0014 and MG0015 before the
/// emitter could write a duplicate.
/// </summary>
internal static class GeneratedNames
{
    public static List<GeneratedName> Of(ModelSpec model)
    {
        var layout = ModelEmitter.Lay(model);
        var plan = layout.Plan;
        var names = new List<GeneratedName> { new(model.ClassName, GeneratedNameKind.ClassName, -1) };
        foreach (var (name, kind) in ModelEmitter.FixedMembers(model.TokenInput, savesDerivatives: plan.Derivatives.Count > 0))
            names.Add(new GeneratedName(name, kind, -1));
        names.Add(new GeneratedName("rows", GeneratedNameKind.RowsParameter, -1));
        names.Add(new GeneratedName("accumulate", GeneratedNameKind.AccumulateParameter, -1));

        var marks = layout.Marks;
        // What the plan holds before the first layer's mark is the float input's (and its scratch gradient).
        for (int i = 0; i < marks[0].Activations; i++)
            names.Add(new GeneratedName(plan.Activations[i].Member, GeneratedNameKind.InputBuffer, -1));
        for (int i = 0; i < marks[0].Gradients; i++)
            names.Add(new GeneratedName(plan.ActivationGradients[i].Member, GeneratedNameKind.InputGradientBuffer, -1));
        names.Add(new GeneratedName(layout.Probs.Member, GeneratedNameKind.SoftmaxBuffer, -1));

        for (int layer = 0; layer < layout.Layers.Count; layer++)
        {
            var (from, to) = (marks[layer], marks[layer + 1]);
            names.Add(new GeneratedName(ModelEmitter.ModuleField(model.Properties[layer]), GeneratedNameKind.ModuleField, layer));
            for (int i = from.Parameters; i < to.Parameters; i++)
            {
                names.Add(new GeneratedName(plan.Parameters[i].Member, GeneratedNameKind.ParameterView, layer));
                names.Add(new GeneratedName(ModelEmitter.GradientView(plan.Parameters[i]), GeneratedNameKind.ParameterGradientView, layer));
            }
            for (int i = from.Activations; i < to.Activations; i++)
                names.Add(new GeneratedName(plan.Activations[i].Member, GeneratedNameKind.ActivationBuffer, layer));
            for (int i = from.Gradients; i < to.Gradients; i++)
                names.Add(new GeneratedName(plan.ActivationGradients[i].Member, GeneratedNameKind.ActivationGradientBuffer, layer));
            for (int i = from.Derivatives; i < to.Derivatives; i++)
                names.Add(new GeneratedName(plan.Derivatives[i].Member, GeneratedNameKind.DerivativeBuffer, layer));
        }
        return names;
    }
}
