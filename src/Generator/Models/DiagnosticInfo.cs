using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using ModelGen.Generator.Helpers;

namespace ModelGen.Generator.Models;

/// <summary>
/// A diagnostic as plain values (descriptor ID, file, span, message arguments). Holds no Location or syntax, so
/// that it compares by value and keeps the pipeline incremental; turned into a Diagnostic only when reported.
/// </summary>
internal sealed record DiagnosticInfo(
    string DescriptorId,
    string FilePath,
    TextSpan Span,
    LinePositionSpan LineSpan,
    EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object[] arguments)
    {
        var lineSpan = location?.GetLineSpan() ?? default;
        return new DiagnosticInfo(
            descriptor.Id,
            lineSpan.Path ?? "",
            location?.SourceSpan ?? default,
            lineSpan.Span,
            arguments.Select(a => a?.ToString() ?? "").ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        var descriptor = Diagnostics.DiagnosticDescriptors.ById(DescriptorId);
        var location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        return Diagnostic.Create(descriptor, location, Arguments.Select(a => (object)a).ToArray());
    }
}
