using ModelGen.Generator.Helpers;

namespace ModelGen.Generator.Models;

// Every model in this folder holds only values (primitives, strings, enums, EquatableArray): never an ISymbol,
// a SyntaxNode, a Compilation or a Location. That is what lets the incremental pipeline compare two runs and skip
// the emitter when nothing that matters has changed.

/// <summary>A model class and its layers, checked and ready to emit.</summary>
internal sealed record ModelSpec(
    string? Namespace,
    string ClassName,
    string Accessibility,
    int BatchSize,
    bool TokenInput,
    int InputSize,
    EquatableArray<PropertySpec> Properties,
    bool TimeKernels = false);

/// <summary>A layer property of the model: its C# name and declared modifiers, and the layer it holds.</summary>
internal sealed record PropertySpec(string PropertyName, string Accessibility, LayerSpec Layer);
