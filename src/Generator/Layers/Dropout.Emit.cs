using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class DropoutLayer
{
    public static Lowered Lower(DropoutSpec spec, ModelPlan plan, Tensor input)
    {
        var mask = plan.AddBuffer(ModelPlan.Member(spec.Name) + "_mask", input.PerRow, ModelPlan.ShapeText(input.Shape));
        var output = plan.AddTensor(spec.Name, input.Shape);
        return new Lowered(new DropoutOp(spec, input, output, mask.Member), output,
            $"new global::ModelGen.Dropout(\"{spec.Name}\", {Literal.Float(spec.P)})");
    }

    private sealed class DropoutOp(DropoutSpec spec, Tensor x, Tensor y, string mask) : Op
    {
        private string Mask => $"{mask}[..({x.Count})]";

        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: Dropout(p = {Literal.Float(spec.P).TrimEnd('f')}), {x.ShapeText}; the identity in eval mode");
            using (writer.WriteBlock("if (_training)"))
            {
                writer.WriteLine($"{Kernels}.DropoutForward({y.ValueSlice}, {Mask}, {x.ValueSlice}, {Literal.Float(spec.P)}, ref _random);");
            }
            using (writer.WriteBlock("else"))
            {
                writer.WriteLine($"{x.ValueSlice}.CopyTo({y.Value});");
                writer.WriteLine($"{Mask}.Fill(1f); // so that a backward after an eval-mode loss is the identity too");
            }
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            if (!x.NeedsGrad) return;
            writer.WriteLine($"// {spec.Name}: Dropout backward");
            writer.WriteLine($"{Kernels}.DropoutBackward({x.GradSlice}, {y.GradSlice}, {Mask});");
        }
    }
}
