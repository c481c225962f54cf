using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>nn.Linear: reads [Linear] and checks in_features against the incoming width.</summary>
internal static partial class LinearLayer
{
    public const string AttributeName = "ModelGen.LinearAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int inFeatures = attribute.GetInt("InFeatures", 0);
        int outFeatures = attribute.GetInt("OutFeatures", 0);
        bool ok = context.AllPositive(attribute, label, ("InFeatures", inFeatures), ("OutFeatures", outFeatures))
            && context.Width(attribute, "InFeatures", label, inFeatures, flow);
        flow = ok ? flow.WithLast(outFeatures, label) : Flow.Unknown;
        return ok ? new LinearSpec(name, inFeatures, outFeatures, attribute.GetBool("Bias", true), attribute.GetInt("Init", 0)) : null;
    }
}
