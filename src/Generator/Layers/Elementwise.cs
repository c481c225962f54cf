using System.Collections.Immutable;
using System.Linq;
using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>nn.GELU: reads [Gelu]; keeps the shape.</summary>
internal static partial class GeluLayer
{
    public const string AttributeName = "ModelGen.GeluAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        flow = flow.Same(label);
        return new GeluSpec(name);
    }
}

/// <summary>nn.Flatten: reads [Flatten]; merges every per-row dimension into one.</summary>
internal static partial class FlattenLayer
{
    public const string AttributeName = "ModelGen.FlattenAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        flow = flow.Shape is { } shape
            ? new Flow(ImmutableArray.Create(shape.Aggregate(1, (a, b) => a * b)), label, false)
            : Flow.Unknown;
        return new FlattenSpec(name);
    }
}
