using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Helpers;
using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>Residual: [Residual] followed by the layers of fn on the same property; fn must keep the shape.</summary>
internal static partial class ResidualLayer
{
    public static LayerSpec? Parse(
        AttributeReader residual, IReadOnlyList<AttributeData> block, string name, string label, ref Flow flow, ParseContext context)
    {
        if (block.Count == 0)
        {
            context.Report(DiagnosticDescriptors.UnsupportedNesting, residual.Location, $"An empty {label}",
                "list the layers of fn after [Residual] on the same property, for example [Residual, LayerNorm(256), FeedForward(256)]");
            flow = Flow.Unknown;
            return null;
        }

        var input = flow;
        var inner = flow;
        var specs = new List<LayerSpec>();
        bool ok = true;
        for (int i = 0; i < block.Count; i++)
        {
            var attribute = new AttributeReader(block[i]);
            string metadataName = block[i].AttributeClass?.ToDisplayString() ?? "";
            string itemLabel = $"[{attribute.ShortName}] (item {i + 1} of {label})";
            if (metadataName == LayerTable.ResidualAttributeName || metadataName == EmbeddingLayer.AttributeName
                || metadataName == FlattenLayer.AttributeName)
            {
                context.Report(DiagnosticDescriptors.UnsupportedNesting, attribute.Location, $"[{attribute.ShortName}] inside {label}",
                    "a residual block may hold Linear, Dropout, LayerNorm, RMSNorm, Gelu, Mlp, FeedForward and ClassificationHead layers only");
                ok = false;
                inner = Flow.Unknown;
                continue;
            }
            var parse = LayerTable.Parsers[metadataName];
            var spec = parse(attribute, $"{name}.fn.{i}", itemLabel, ref inner, context);
            if (spec is null) ok = false;
            else specs.Add(spec);
        }

        if (ok && input.Shape is { } inShape && inner.Shape is { } outShape && !inShape.SequenceEqual(outShape))
        {
            context.Report(DiagnosticDescriptors.ResidualChangesShape, residual.Location, label, Flow.Text(inShape), Flow.Text(outShape));
            ok = false;
        }
        flow = ok ? input.Same(label) : Flow.Unknown;
        return ok ? new ResidualSpec(name, specs.ToEquatableArray()) : null;
    }
}
