using System.Collections.Generic;
using ModelGen.Generator.Emit;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Layers;

internal static partial class MlpLayer
{
    /// <summary>
    /// The <c>layers</c> Sequential, numbered as PyTorch numbers it: Linear, [LayerNorm,] GELU, …, Linear.
    /// So the parameters are named <c>body.layers.0.weight</c>, <c>body.layers.1.weight</c> (a LayerNorm), …
    /// </summary>
    public static Lowered Lower(MlpSpec spec, ModelPlan plan, Tensor input)
    {
        var ops = new List<Op>();
        var modules = new List<string>();
        var x = input;
        int index = 0;
        for (int i = 0; i < spec.Depth; i++)
        {
            bool last = i == spec.Depth - 1;
            int inDim = i == 0 ? spec.InDim : spec.HiddenDim;
            int outDim = last ? spec.OutDim : spec.HiddenDim;
            Add(LinearLayer.Lower(plan, x, $"{spec.Name}.layers.{index++}", inDim, outDim, bias: true, xavier: false));
            if (last) break;
            if (spec.UseLayerNorm) Add(LayerNormLayer.Lower(new LayerNormSpec($"{spec.Name}.layers.{index++}", outDim, 1e-5), plan, x));
            string gelu = $"{spec.Name}.layers.{index++}";
            Add(GeluLayer.Lower(plan, x, gelu, readBy: $"{spec.Name}.layers.{index}"));
        }

        string comment = $"{spec.Name}: MLP({spec.InDim} → {(spec.Depth > 1 ? $"{spec.HiddenDim} ×{spec.Depth - 1} → " : "")}{spec.OutDim}, depth {spec.Depth}{(spec.UseLayerNorm ? ", LayerNorm" : "")})";
        return new Lowered(new SequenceOp(comment, ops), x,
            Lowered.Container("Mlp", spec.Name, modules));

        void Add(Lowered lowered)
        {
            ops.Add(lowered.Op);
            modules.Add(lowered.Module);
            x = lowered.Output;
        }
    }
}
