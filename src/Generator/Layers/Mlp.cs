using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>MLP: reads [Mlp]; depth ≥ 1, InDim equal to the incoming width.</summary>
internal static partial class MlpLayer
{
    public const string AttributeName = "ModelGen.MlpAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int inDim = attribute.GetInt("InDim", 0);
        int hidden = attribute.GetInt("HiddenDim", 0);
        int outDim = attribute.GetInt("OutDim", 0);
        int depth = attribute.GetInt("Depth", 1);
        bool ok = context.AllPositive(attribute, label, ("InDim", inDim), ("OutDim", outDim));
        if (depth < 1)
        {
            context.Report(DiagnosticDescriptors.DepthBelowOne, attribute.LocationOf("Depth"), label, depth);
            ok = false;
        }
        // A depth-1 MLP is a single Linear(in, out): its hidden width is never used, so it may be left out.
        else if (depth > 1)
        {
            ok &= context.Positive(attribute, "HiddenDim", label, hidden);
        }
        ok = ok && context.Width(attribute, "InDim", label, inDim, flow);
        flow = ok ? flow.WithLast(outDim, label) : Flow.Unknown;
        return ok ? new MlpSpec(name, inDim, depth > 1 ? hidden : 0, outDim, depth, attribute.GetBool("UseLayerNorm", false)) : null;
    }
}
