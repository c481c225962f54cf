using ModelGen.Generator.Emit;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class FeedForwardLayer
{
    /// <summary>The <c>net</c> Sequential: net.0 Linear(d_model, d_ff), net.1 GELU, net.2 Linear(d_ff, d_model).</summary>
    public static Lowered Lower(FeedForwardSpec spec, ModelPlan plan, Tensor input)
    {
        var up = LinearLayer.Lower(plan, input, $"{spec.Name}.net.0", spec.DModel, spec.DFf, bias: true, xavier: false);
        var gelu = GeluLayer.Lower(plan, up.Output, $"{spec.Name}.net.1", readBy: $"{spec.Name}.net.2");
        var down = LinearLayer.Lower(plan, gelu.Output, $"{spec.Name}.net.2", spec.DFf, spec.DModel, bias: true, xavier: false);
        return new Lowered(
            new SequenceOp($"{spec.Name}: FeedForward({spec.DModel}, d_ff = {spec.DFf})", new[] { up.Op, gelu.Op, down.Op }),
            down.Output,
            $"new global::ModelGen.FeedForward(\"{spec.Name}\", {up.Module}, {down.Module})");
    }
}
