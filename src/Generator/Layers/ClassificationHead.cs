using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>ClassificationHead: reads [ClassificationHead]; a Linear to the logits.</summary>
internal static partial class ClassificationHeadLayer
{
    public const string AttributeName = "ModelGen.ClassificationHeadAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int dIn = attribute.GetInt("DIn", 0);
        int classes = attribute.GetInt("NumClasses", 0);
        bool ok = context.AllPositive(attribute, label, ("DIn", dIn), ("NumClasses", classes))
            && context.Width(attribute, "DIn", label, dIn, flow);
        flow = ok ? flow.WithLast(classes, label) : Flow.Unknown;
        return ok ? new ClassificationHeadSpec(name, dIn, classes) : null;
    }
}
