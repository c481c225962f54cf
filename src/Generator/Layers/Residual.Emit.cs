using System.Collections.Generic;
using System.Linq;
using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class ResidualLayer
{
    public static Lowered Lower(ResidualSpec spec, ModelPlan plan, Tensor input)
    {
        var ops = new List<Op>();
        var modules = new List<string>();
        var x = input;
        foreach (var layer in spec.Block)
        {
            var lowered = LayerLowering.Lower(layer, plan, x);
            ops.Add(lowered.Op);
            modules.Add(lowered.Module);
            x = lowered.Output;
        }
        // d(x + fn(x))/d fn(x) is the identity: the sum's gradient is the block output's gradient, one shared buffer.
        var output = plan.AddTensorSharingGrad(spec.Name, input.Shape, x.Grad);
        return new Lowered(new ResidualOp(spec.Name, input, x, output, ops), output,
            Lowered.Container("Residual", spec.Name, modules));
    }

    private sealed class ResidualOp(string name, Tensor x, Tensor fx, Tensor y, IReadOnlyList<Op> block) : Op
    {
        public override bool RowWiseForward => block.All(op => op.RowWiseForward);

        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {name}: Residual, x + fn(x), {x.ShapeText}");
            foreach (var op in block) op.EmitForward(writer);
            writer.WriteLine($"// {name}: the skip path, {y.Value} = x + fn(x)");
            writer.WriteLine($"{TensorPrimitives}.Add({x.ValueSlice}, {fx.ValueSlice}, {y.ValueSlice});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {name}: Residual backward; fn's backward first writes {x.Grad}, then the skip path adds {y.Grad}");
            for (int i = block.Count - 1; i >= 0; i--) block[i].EmitBackward(writer);
            if (!x.NeedsGrad) return;
            writer.WriteLine($"// {name}: the skip path, {x.Grad} += {y.Grad}");
            writer.WriteLine($"{TensorPrimitives}.Add({x.GradSlice}, {y.GradSlice}, {x.GradSlice});");
        }
    }
}
