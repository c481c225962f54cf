using System.Collections.Generic;
using ModelGen.Generator.Models;
using ModelGen.Generator.Parsing;

namespace ModelGen.Generator.Layers;

/// <summary>Reads one layer attribute, checks it against the incoming flow, and advances the flow.</summary>
internal delegate LayerSpec? LayerParser(AttributeReader attribute, string name, string label, ref Flow flow, ParseContext context);

/// <summary>The one table of layer kinds: attribute metadata name → parser. A new kind adds one row here.</summary>
internal static class LayerTable
{
    public const string ResidualAttributeName = "ModelGen.ResidualAttribute";

    public static readonly IReadOnlyDictionary<string, LayerParser> Parsers = new Dictionary<string, LayerParser>
    {
        [LinearLayer.AttributeName] = LinearLayer.Parse,
        [EmbeddingLayer.AttributeName] = EmbeddingLayer.Parse,
        [DropoutLayer.AttributeName] = DropoutLayer.Parse,
        [LayerNormLayer.AttributeName] = LayerNormLayer.Parse,
        [RMSNormLayer.AttributeName] = RMSNormLayer.Parse,
        [GeluLayer.AttributeName] = GeluLayer.Parse,
        [FlattenLayer.AttributeName] = FlattenLayer.Parse,
        [MlpLayer.AttributeName] = MlpLayer.Parse,
        [FeedForwardLayer.AttributeName] = FeedForwardLayer.Parse,
        [ClassificationHeadLayer.AttributeName] = ClassificationHeadLayer.Parse,
    };

    public static bool IsLayerAttribute(string? metadataName)
        => metadataName is not null && (metadataName == ResidualAttributeName || Parsers.ContainsKey(metadataName));
}
