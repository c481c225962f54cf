using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>FeedForward: reads [FeedForward]; d_ff defaults to 4·d_model.</summary>
internal static partial class FeedForwardLayer
{
    public const string AttributeName = "ModelGen.FeedForwardAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int dModel = attribute.GetInt("DModel", 0);
        int dFf = attribute.Has("DFf") ? attribute.GetInt("DFf", 0) : 0;
        bool ok = context.Positive(attribute, "DModel", label, dModel);
        // DFf = 0 asks for the default 4·d_model; a negative width is a mistake.
        if (attribute.Has("DFf") && dFf != 0) ok &= context.Positive(attribute, "DFf", label, dFf);
        ok = ok && context.Width(attribute, "DModel", label, dModel, flow);
        flow = ok ? flow.Same(label) : Flow.Unknown;
        return ok ? new FeedForwardSpec(name, dModel, dFf > 0 ? dFf : 4 * dModel) : null;
    }
}
