using Microsoft.CodeAnalysis;

namespace ModelGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are stable: docs and users' suppressions refer to them.
/// Each message names the sizes involved and the diagnostic sits on the attribute or argument that is wrong.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "ModelGen";

    /// <summary>MG0001: {0} = class name.</summary>
    public static readonly DiagnosticDescriptor ModelNotPartial = new(
        "MG0001", "Model class must be partial",
        "Model class '{0}' must be declared 'partial' so that ModelGen can add the generated members",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0002: {0} = argument, {1} = layer, {2} = value.</summary>
    public static readonly DiagnosticDescriptor SizeNotPositive = new(
        "MG0002", "Size must be positive",
        "'{0}' of {1} must be a positive size, but is {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0003: {0} = argument, {1} = layer, {2} = declared width, {3} = previous layer, {4} = its output width.</summary>
    public static readonly DiagnosticDescriptor WidthMismatch = new(
        "MG0003", "Layer width does not match the previous layer",
        "'{0}' of {1} is {2}, but the input it receives ({3}) has {4} features in its last dimension",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0004: {0} = layer, {1} = input shape, {2} = output shape.</summary>
    public static readonly DiagnosticDescriptor ResidualChangesShape = new(
        "MG0004", "Residual block changes the shape",
        "The block of Residual {0} maps {1} to {2}; x + fn(x) needs fn to keep the shape",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0005: {0} = layer, {1} = p.</summary>
    public static readonly DiagnosticDescriptor DropoutProbability = new(
        "MG0005", "Dropout probability out of range",
        "'P' of {0} must be in [0, 1), but is {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0006: {0} = layer, {1} = depth.</summary>
    public static readonly DiagnosticDescriptor DepthBelowOne = new(
        "MG0006", "MLP depth below 1",
        "'Depth' of {0} must be at least 1, but is {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0007: {0} = class name.</summary>
    public static readonly DiagnosticDescriptor NoLayers = new(
        "MG0007", "Model has no layers",
        "Model '{0}' declares no layers; annotate partial properties with layer attributes such as [Linear] or [Mlp]",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0008: {0} = what is nested, {1} = why it is not supported.</summary>
    public static readonly DiagnosticDescriptor UnsupportedNesting = new(
        "MG0008", "Unsupported layer arrangement",
        "{0} is not supported: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0009: {0} = property, {1} = declared type, {2} = expected type.</summary>
    public static readonly DiagnosticDescriptor PropertyTypeMismatch = new(
        "MG0009", "Layer property has the wrong type",
        "Property '{0}' is declared as '{1}', but its layer is a '{2}'; declare it as 'public partial {2} {0} {{ get; }}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0010: {0} = property.</summary>
    public static readonly DiagnosticDescriptor PropertyNotPartial = new(
        "MG0010", "Layer property must be a partial get-only property",
        "Property '{0}' carries a layer attribute, so it must be declared 'partial' with only a getter, for example 'public partial Linear {0} {{ get; }}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0011: {0} = class name, {1} = what is wrong.</summary>
    public static readonly DiagnosticDescriptor ModelInput = new(
        "MG0011", "Model input is not declared correctly",
        "Model '{0}': {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0012: {0} = argument, {1} = layer, {2} = value.</summary>
    public static readonly DiagnosticDescriptor EpsNotPositive = new(
        "MG0012", "Epsilon must be positive and finite",
        "'{0}' of {1} must be positive and finite, but is {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0013: {0} = class name, {1} = why.</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelClass = new(
        "MG0013", "Unsupported model class",
        "Model class '{0}' is not supported: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0014: {0} = property, {1} = the colliding name, {2} = what of the property's it names, {3} = what else it names.</summary>
    public static readonly DiagnosticDescriptor NameCollision = new(
        "MG0014", "Layer property name collides with the generated code",
        "Layer property '{0}' collides with the generated code: '{1}' would name both {2} and {3}; rename the property",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>MG0015: {0} = member, {1} = the colliding name (with the parameters, for a method or constructor), {2} = what the member is, {3} = what else the name names, {4} = the fix.</summary>
    public static readonly DiagnosticDescriptor MemberCollision = new(
        "MG0015", "Member collides with the generated code",
        "Member '{0}' collides with the generated code: '{1}' would name both this {2} and {3}; {4}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>Every descriptor, for <see cref="ById"/> and for tests.</summary>
    public static readonly DiagnosticDescriptor[] All =
    [
        ModelNotPartial, SizeNotPositive, WidthMismatch, ResidualChangesShape, DropoutProbability, DepthBelowOne,
        NoLayers, UnsupportedNesting, PropertyTypeMismatch, PropertyNotPartial, ModelInput, EpsNotPositive,
        UnsupportedModelClass, NameCollision, MemberCollision,
    ];

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (var descriptor in All)
        {
            if (descriptor.Id == id) return descriptor;
        }
        return ModelNotPartial; // unreachable: every DiagnosticInfo is made from a descriptor in All
    }
}
