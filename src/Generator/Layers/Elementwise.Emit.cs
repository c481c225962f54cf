using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class GeluLayer
{
    /// <summary>
    /// When the input needs a gradient, the forward also saves gelu′(x) (in double, as the backward kernel evaluates
    /// it) so the backward only multiplies by it: the same bits, without evaluating Φ a second time.
    /// </summary>
    public static Lowered Lower(GeluSpec spec, ModelPlan plan, Tensor input)
    {
        var output = plan.AddTensor(spec.Name, input.Shape);
        var derivative = input.NeedsGrad
            ? plan.AddDerivative(ModelPlan.Member(spec.Name) + "_derivative", input.PerRow, ModelPlan.ShapeText(input.Shape))
            : null;
        return new Lowered(new GeluOp(spec.Name, input, output, derivative), output, $"new global::ModelGen.Gelu(\"{spec.Name}\")");
    }

    /// <summary>Also used by MLP and FeedForward.</summary>
    public static Lowered Lower(ModelPlan plan, Tensor input, string name) => Lower(new GeluSpec(name), plan, input);

    private sealed class GeluOp(string name, Tensor x, Tensor y, BufferSlot? derivative) : Op
    {
        public override void EmitForward(IndentedTextWriter writer)
        {
            if (derivative is null)
            {
                writer.WriteLine($"// {name}: GELU, {x.ShapeText}");
                writer.WriteLine($"{Kernels}.GeluForward({y.ValueSlice}, {x.ValueSlice});");
                return;
            }
            writer.WriteLine($"// {name}: GELU, {x.ShapeText}; saves gelu′(x) for the backward");
            writer.WriteLine($"{Kernels}.GeluForward({y.ValueSlice}, {DerivativeSlice}, {x.ValueSlice});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            if (derivative is null) return;
            writer.WriteLine($"// {name}: GELU backward, dx = dy · gelu′(x)");
            writer.WriteLine($"{Kernels}.GeluBackward({x.GradSlice}, {y.GradSlice}, {DerivativeSlice});");
        }

        private string DerivativeSlice => $"{derivative!.Member}[..({x.Count})]";
    }
}

internal static partial class FlattenLayer
{
    public static Lowered Lower(FlattenSpec spec, ModelPlan plan, Tensor input)
    {
        // A view: the same buffers read with one dimension per row.
        var output = input with { Shape = new[] { input.PerRow } };
        return new Lowered(new FlattenOp(spec.Name, input, output), output, $"new global::ModelGen.Flatten(\"{spec.Name}\")");
    }

    private sealed class FlattenOp(string name, Tensor x, Tensor y) : Op
    {
        public override void EmitForward(IndentedTextWriter writer)
            => writer.WriteLine($"// {name}: Flatten, {x.ShapeText} → {y.ShapeText}, a view of {x.Value}: no copy");

        public override void EmitBackward(IndentedTextWriter writer)
            => writer.WriteLine($"// {name}: Flatten backward, a view: nothing to do");
    }
}
