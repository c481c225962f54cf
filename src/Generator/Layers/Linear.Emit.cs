using ModelGen.Generator.Emit;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class LinearLayer
{
    public static Lowered Lower(LinearSpec spec, ModelPlan plan, Tensor input)
        => Lower(plan, input, spec.Name, spec.InFeatures, spec.OutFeatures, spec.Bias, spec.Init == 1);

    /// <summary>Also used by the composite layers (MLP, FeedForward, ClassificationHead) for their Linears.</summary>
    public static Lowered Lower(ModelPlan plan, Tensor input, string name, int inFeatures, int outFeatures, bool bias, bool xavier)
    {
        int weightIndex = plan.Parameters.Count;
        string inText = Literal.Int(inFeatures), outText = Literal.Int(outFeatures);
        // A layer that reads the model's input keeps its weight transposed, (in, out): its products then read the
        // weight and write its gradient as they are, where PyTorch's layout costs a transposed copy of each per step.
        var weight = plan.AddParameter($"{name}.weight", new[] { outFeatures, inFeatures },
            xavier
                ? $"global::ModelGen.Init.XavierUniform({{0}}, fanIn: {inText}, fanOut: {outText}, ref random);"
                : $"global::ModelGen.Init.KaimingUniform({{0}}, fanIn: {inText}, ref random);",
            storedTransposed: !input.NeedsGrad);
        // nn.Linear's bias: U(±1/√in_features), whatever the weight's init.
        var biasSlot = bias
            ? plan.AddParameter($"{name}.bias", new[] { outFeatures }, $"global::ModelGen.Init.Uniform({{0}}, 1f / global::System.MathF.Sqrt({inText}), ref random);")
            : null;
        var output = plan.AddTensor(name, WithLast(input.Shape, outFeatures));
        string module = $"new global::ModelGen.Linear(\"{name}\", ParameterAt({weightIndex}), {(bias ? $"ParameterAt({weightIndex + 1})" : "null")})";
        return new Lowered(new LinearOp(name, input, output, weight, biasSlot), output, module);
    }

    public static int[] WithLast(int[] shape, int last)
    {
        var result = (int[])shape.Clone();
        result[result.Length - 1] = last;
        return result;
    }

    private sealed class LinearOp(string name, Tensor x, Tensor y, ParameterSlot weight, ParameterSlot? bias) : Op
    {
        private string Sizes => $"{x.Rows}, {Literal.Int(x.Last)}, {Literal.Int(y.Last)}";

        // The model's input is data (images, often zero in many of their pixels), not an activation: the products
        // that read it skip the features that are zero, which leaves their results as they were, and they read the
        // weight stored transposed.
        private string SkipZeroInputs => x.NeedsGrad ? "" : ", skipZeroInputs: true";

        private string Transposed => weight.StoredTransposed ? "Transposed" : "";

        // A product of the model's input is not: it skips the input's zeros with paths that depend on the rows a call
        // holds (and it reads the input, which a run of row-wise layers does not take).
        public override bool RowWiseForward => x.NeedsGrad && !weight.StoredTransposed;

        public override void EmitForward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {name}: Linear({x.Last} → {y.Last}), {x.ShapeText} → {y.ShapeText}");
            writer.WriteLine($"{Kernels}.LinearForward{Transposed}({y.Value}, {x.Value}, {weight.Member}, {bias?.Member ?? "default"}, {Sizes}{SkipZeroInputs});");
        }

        public override void EmitBackward(IndentedTextWriter writer)
        {
            writer.WriteLine($"// {name}: Linear backward");
            // The bias's gradient, the column sums of dy, is shared out in the weight gradient's parallel region.
            string dbias = bias is null ? "" : $", dbias: d_{bias.Member}";
            writer.WriteLine($"{Kernels}.LinearBackwardWeight{Transposed}(d_{weight.Member}, {y.Grad}, {x.Value}, {Sizes}{SkipZeroInputs}, {Accumulate}{dbias});");
            // The model input needs no gradient: skipping it saves the largest product of the first layer.
            if (x.ThroughGelu is { } gelu)
                writer.WriteLine($"{Kernels}.LinearBackwardInputThroughGelu({gelu.InputGrad}, {y.Grad}, {weight.Member}, {gelu.Derivative}[..({x.Count})], {Sizes});");
            else if (x.NeedsGrad)
                writer.WriteLine($"{Kernels}.LinearBackwardInput({x.Grad}, {y.Grad}, {weight.Member}, {Sizes});");
        }
    }
}
