using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class EmbeddingLayer
{
    public static Lowered Lower(EmbeddingSpec spec, ModelPlan plan, Tensor input)
    {
        int index = plan.Parameters.Count;
        var weight = plan.AddParameter($"{spec.Name}.weight", new[] { spec.NumEmbeddings, spec.EmbeddingDim },
            "global::ModelGen.Init.Normal({0}, ref random);");
        var output = plan.AddTensor(spec.Name, ModelPlan.Append(input.Shape, spec.EmbeddingDim));
        return new Lowered(new EmbeddingOp(spec, input, output, weight), output,
            $"new global::ModelGen.Embedding(\"{spec.Name}\", ParameterAt({index}))");
    }

    private sealed class EmbeddingOp(EmbeddingSpec spec, Tensor ids, Tensor y, ParameterSlot weight) : Op
    {
        private string Sizes => $"{Literal.Int(spec.NumEmbeddings)}, {Literal.Int(spec.EmbeddingDim)}";

        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: Embedding({spec.NumEmbeddings}, {spec.EmbeddingDim}), {ids.ShapeText} ids → {y.ShapeText}");
            writer.WriteLine($"{Kernels}.EmbeddingForward({y.ValueSlice}, {ids.ValueSlice}, {weight.Member}, {Sizes});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {spec.Name}: Embedding backward (scatter-add into the rows that were read)");
            writer.WriteLine($"{Kernels}.EmbeddingBackward(d_{weight.Member}, {y.GradSlice}, {ids.ValueSlice}, {Sizes}, {Accumulate});");
        }
    }
}
