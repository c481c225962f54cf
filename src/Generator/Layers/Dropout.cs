using System.Globalization;
using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>nn.Dropout: reads [Dropout] and checks p ∈ [0, 1).</summary>
internal static partial class DropoutLayer
{
    public const string AttributeName = "ModelGen.DropoutAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        double p = attribute.GetDouble("P", 0.5);
        if (!(p >= 0 && p < 1))
        {
            context.Report(DiagnosticDescriptors.DropoutProbability, attribute.LocationOf("P"), label, p.ToString("R", CultureInfo.InvariantCulture));
            flow = Flow.Unknown;
            return null;
        }
        flow = flow.Same(label);
        return new DropoutSpec(name, p);
    }
}
