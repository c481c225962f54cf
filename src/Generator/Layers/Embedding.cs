using System.Collections.Immutable;
using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>nn.Embedding: reads [Embedding]; it must be the first layer and take token ids.</summary>
internal static partial class EmbeddingLayer
{
    public const string AttributeName = "ModelGen.EmbeddingAttribute";

    public static LayerSpec? Parse(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context)
    {
        int count = attribute.GetInt("NumEmbeddings", 0);
        int dim = attribute.GetInt("EmbeddingDim", 0);
        bool ok = context.AllPositive(attribute, label, ("NumEmbeddings", count), ("EmbeddingDim", dim));
        if (flow.Shape is not null && !flow.Tokens)
        {
            context.Report(Diagnostics.DiagnosticDescriptors.UnsupportedNesting, attribute.Location,
                $"{label} after {flow.Producer}",
                "an Embedding reads token ids, so it must be the model's first layer and the model must declare SequenceLength");
            ok = false;
        }
        flow = ok && flow.Shape is { } shape ? new Flow(shape.Add(dim), label, false) : Flow.Unknown;
        return ok ? new EmbeddingSpec(name, count, dim) : null;
    }
}
