using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>nn.LayerNorm: reads [LayerNorm]; D must equal the incoming last dimension.</summary>
internal static partial class LayerNormLayer
{
    public const string AttributeName = "ModelGen.LayerNormAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int d = attribute.GetInt("D", 0);
        double eps = attribute.GetDouble("Eps", 1e-5);
        bool ok = context.Positive(attribute, "D", label, d) & context.Eps(attribute, label, eps)
            && context.Width(attribute, "D", label, d, flow);
        flow = ok ? flow.Same(label) : Flow.Unknown;
        return ok ? new LayerNormSpec(name, d, eps) : null;
    }
}

/// <summary>RMSNorm: reads [RMSNorm]; D must equal the incoming last dimension.</summary>
internal static partial class RMSNormLayer
{
    public const string AttributeName = "ModelGen.RMSNormAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int d = attribute.GetInt("D", 0);
        double eps = attribute.GetDouble("Eps", 1e-8);
        bool ok = context.Positive(attribute, "D", label, d) & context.Eps(attribute, label, eps)
            && context.Width(attribute, "D", label, d, flow);
        flow = ok ? flow.Same(label) : Flow.Unknown;
        return ok ? new RMSNormSpec(name, d, eps) : null;
    }
}
