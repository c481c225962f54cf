using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelGen.Generator.Diagnostics;
using ModelGen.Generator.Models;

namespace ModelGen.Generator.Parsing;

/// <summary>
/// The shape flowing from one layer into the next, per row (the batch dimension is implicit), and who produced it.
/// A null shape means an earlier error made it unknown: later width checks are skipped so one mistake gives one error.
/// </summary>
internal readonly record struct Flow(ImmutableArray<int>? Shape, string Producer, bool Tokens)
{
    public int? Last => Shape is { Length: > 0 } shape ? shape[shape.Length - 1] : null;

    public Flow WithLast(int last, string producer)
        => Shape is { } shape ? new Flow(shape.SetItem(shape.Length - 1, last), producer, false) : Unknown;

    public Flow Same(string producer) => Shape is { } shape ? new Flow(shape, producer, Tokens) : Unknown;

    public static Flow Unknown => new(null, "", false);

    /// <summary>The shape as PyTorch prints it, batch first: (B, 8, 16).</summary>
    public static string Text(ImmutableArray<int> shape) => "(B, " + string.Join(", ", shape) + ")";

    public string Describe() => Shape is { } shape ? $"{Producer}, shape {Text(shape)}" : Producer;
}

/// <summary>Collects diagnostics while a model class is read and checked.</summary>
internal sealed class ParseContext
{
    public List<DiagnosticInfo> Diagnostics { get; } = new();

    public bool HasErrors => Diagnostics.Count > 0;

    public void Report(DiagnosticDescriptor descriptor, Location? location, params object[] arguments)
        => Diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>Reports MG0002 unless <paramref name="value"/> is positive.</summary>
    public bool Positive(AttributeReader attribute, string argument, string layer, int value)
    {
        if (value > 0) return true;
        Report(DiagnosticDescriptors.SizeNotPositive, attribute.LocationOf(argument), argument, layer, value);
        return false;
    }

    /// <summary>Reports MG0002 for each listed size that is not positive; true when all are.</summary>
    public bool AllPositive(AttributeReader attribute, string layer, params (string Argument, int Value)[] sizes)
        => sizes.Select(s => Positive(attribute, s.Argument, layer, s.Value)).ToList().All(ok => ok);

    /// <summary>Reports MG0003 when the declared input width differs from the last dimension flowing in.</summary>
    public bool Width(AttributeReader attribute, string argument, string layer, int declared, Flow flow)
    {
        if (flow.Last is not { } actual || actual == declared) return true;
        Report(DiagnosticDescriptors.WidthMismatch, attribute.LocationOf(argument), argument, layer, declared, flow.Describe(), actual);
        return false;
    }

    /// <summary>Reports MG0012 unless eps is positive and finite.</summary>
    public bool Eps(AttributeReader attribute, string layer, double eps)
    {
        if (eps > 0 && !double.IsInfinity(eps)) return true;
        Report(DiagnosticDescriptors.EpsNotPositive, attribute.LocationOf("Eps"), "Eps", layer,
            eps.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return false;
    }
}
