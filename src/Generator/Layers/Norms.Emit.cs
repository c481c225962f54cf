using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class LayerNormLayer
{
    public static Lowered Lower(LayerNormSpec spec, ModelPlan plan, Tensor input)
    {
        int index = plan.Parameters.Count;
        var weight = plan.AddParameter($"{spec.Name}.weight", new[] { spec.D }, "global::ModelGen.Init.Fill({0}, 1f);");
        var bias = plan.AddParameter($"{spec.Name}.bias", new[] { spec.D }, "global::ModelGen.Init.Fill({0}, 0f);");
        string member = ModelPlan.Member(spec.Name);
        int vectors = input.PerRow / input.Last;
        string statShape = ModelPlan.ShapeText(ModelPlan.Leading(input.Shape));
        var mean = plan.AddBuffer(member + "_mean", vectors, statShape);
        var rstd = plan.AddBuffer(member + "_rstd", vectors, statShape);
        var output = plan.AddTensor(spec.Name, input.Shape);
        return new Lowered(new LayerNormOp(spec, input, output, weight, bias, mean.Member, rstd.Member), output,
            $"new global::ModelGen.LayerNorm(\"{spec.Name}\", ParameterAt({index}), ParameterAt({index + 1}), eps: {Literal.Float(spec.Eps)})");
    }

    private sealed class LayerNormOp(LayerNormSpec spec, Tensor x, Tensor y, ParameterSlot weight, ParameterSlot bias, string mean, string rstd) : Op
    {
        public override bool RowWiseForward => true;

        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: LayerNorm({spec.D}, eps = {Literal.Float(spec.Eps).TrimEnd('f')}), {x.ShapeText}");
            writer.WriteLine($"{Kernels}.LayerNormForward({y.Value}, {mean}, {rstd}, {x.Value}, {weight.Member}, {bias.Member}, {x.Rows}, {Literal.Int(spec.D)}, {Literal.Float(spec.Eps)});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: LayerNorm backward");
            writer.WriteLine($"{Kernels}.LayerNormBackward({x.Grad}, d_{weight.Member}, d_{bias.Member}, {y.Grad}, {x.Value}, {mean}, {rstd}, {weight.Member}, {x.Rows}, {Literal.Int(spec.D)}, {Accumulate});");
        }
    }
}

internal static partial class RMSNormLayer
{
    public static Lowered Lower(RMSNormSpec spec, ModelPlan plan, Tensor input)
    {
        int index = plan.Parameters.Count;
        var weight = plan.AddParameter($"{spec.Name}.weight", new[] { spec.D }, "global::ModelGen.Init.Fill({0}, 1f);");
        int vectors = input.PerRow / input.Last;
        var rrms = plan.AddBuffer(ModelPlan.Member(spec.Name) + "_rrms", vectors,
            ModelPlan.ShapeText(ModelPlan.Leading(input.Shape)));
        var output = plan.AddTensor(spec.Name, input.Shape);
        return new Lowered(new RMSNormOp(spec, input, output, weight, rrms.Member), output,
            $"new global::ModelGen.RMSNorm(\"{spec.Name}\", ParameterAt({index}), eps: {Literal.Float(spec.Eps)})");
    }

    private sealed class RMSNormOp(RMSNormSpec spec, Tensor x, Tensor y, ParameterSlot weight, string rrms) : Op
    {
        public override bool RowWiseForward => true;

        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: RMSNorm({spec.D}, eps = {Literal.Float(spec.Eps).TrimEnd('f')}), {x.ShapeText}");
            writer.WriteLine($"{Kernels}.RMSNormForward({y.Value}, {rrms}, {x.Value}, {weight.Member}, {x.Rows}, {Literal.Int(spec.D)}, {Literal.Float(spec.Eps)});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: RMSNorm backward");
            writer.WriteLine($"{Kernels}.RMSNormBackward({x.Grad}, d_{weight.Member}, {y.Grad}, {x.Value}, {rrms}, {weight.Member}, {x.Rows}, {Literal.Int(spec.D)}, {Accumulate});");
        }
    }
}
