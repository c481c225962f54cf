using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class GeluLayer
{
    public static Lowered Lower(GeluSpec spec, ModelPlan plan, Tensor input)
    {
        var output = plan.AddTensor(spec.Name, input.Shape);
        return new Lowered(new GeluOp(spec.Name, input, output), output, $"new global::ModelGen.Gelu(\"{spec.Name}\")");
    }

    /// <summary>Also used by MLP and FeedForward.</summary>
    public static Lowered Lower(ModelPlan plan, Tensor input, string name) => Lower(new GeluSpec(name), plan, input);

    private sealed class GeluOp(string name, Tensor x, Tensor y) : Op
    {
        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {name}: GELU, {x.ShapeText}");
            writer.WriteLine($"{Kernels}.GeluForward({y.ValueSlice}, {x.ValueSlice});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            if (!x.NeedsGrad) return;
            writer.WriteLine($"// {name}: GELU backward");
            writer.WriteLine($"{Kernels}.GeluBackward({x.GradSlice}, {y.GradSlice}, {x.ValueSlice});");
        }
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
