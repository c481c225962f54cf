using ModelGen.Generator.Emit;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

/// <summary>The emit side of the layer table: each spec kind to the lowering in its own .Emit.cs file.</summary>
internal static class LayerLowering
{
    public static Lowered Lower(LayerSpec spec, ModelPlan plan, Tensor input) => spec switch
    {
        LinearSpec s => LinearLayer.Lower(s, plan, input),
        EmbeddingSpec s => EmbeddingLayer.Lower(s, plan, input),
        DropoutSpec s => DropoutLayer.Lower(s, plan, input),
        LayerNormSpec s => LayerNormLayer.Lower(s, plan, input),
        RMSNormSpec s => RMSNormLayer.Lower(s, plan, input),
        GeluSpec s => GeluLayer.Lower(s, plan, input),
        FlattenSpec s => FlattenLayer.Lower(s, plan, input),
        MlpSpec s => MlpLayer.Lower(s, plan, input),
        FeedForwardSpec s => FeedForwardLayer.Lower(s, plan, input),
        ClassificationHeadSpec s => ClassificationHeadLayer.Lower(s, plan, input),
        ResidualSpec s => ResidualLayer.Lower(s, plan, input),
        _ => throw new System.ArgumentOutOfRangeException(nameof(spec), spec.GetType().Name, "no lowering for this layer kind"),
    };
}
