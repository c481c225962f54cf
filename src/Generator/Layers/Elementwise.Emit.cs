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
    public static Lowered Lower(GeluSpec spec, ModelPlan plan, Tensor input) => Lower(plan, input, spec.Name, readBy: null);

    /// <summary>
    /// Also used by MLP and FeedForward, where the Linear named <paramref name="readBy"/> reads the output: that
    /// Linear's input gradient then goes through gelu′ straight into the GELU's input gradient
    /// (<c>LinearBackwardInputThroughGelu</c>), the same bits without a pass of its own, and the output has no
    /// gradient buffer.
    /// </summary>
    public static Lowered Lower(ModelPlan plan, Tensor input, string name, string? readBy)
    {
        var derivative = input.NeedsGrad
            ? plan.AddDerivative(ModelPlan.Member(name) + "_derivative", input.PerRow, ModelPlan.ShapeText(input.Shape))
            : null;
        string? foldedInto = derivative is null ? null : readBy;
        var output = foldedInto is null
            ? plan.AddTensor(name, input.Shape)
            : plan.AddTensorSharingGrad(name, input.Shape, grad: null) with { ThroughGelu = new GeluBackwardInReader(input.Grad!, derivative!.Member) };
        return new Lowered(new GeluOp(name, input, output, derivative, foldedInto), output, $"new global::ModelGen.Gelu(\"{name}\")");
    }

    private sealed class GeluOp(string name, Tensor x, Tensor y, BufferSlot? derivative, string? foldedInto) : Op
    {
        public override bool RowWiseForward => true;

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
            if (foldedInto is not null)
            {
                writer.WriteLine($"// {name}: GELU backward, dx = dy · gelu′(x): done by {foldedInto}'s input gradient above");
                return;
            }
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
        public override bool RowWiseForward => true;

        public override void EmitForward(IndentedTextWriter writer)
            => writer.WriteLine($"// {name}: Flatten, {x.ShapeText} → {y.ShapeText}, a view of {x.Value}: no copy");

        public override void EmitBackward(IndentedTextWriter writer)
            => writer.WriteLine($"// {name}: Flatten backward, a view: nothing to do");
    }
}
