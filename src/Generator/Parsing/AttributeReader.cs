using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.Generator.Parsing;

/// <summary>
/// Reads the arguments of one attribute by property name, whether they were given positionally to a constructor
/// or as named arguments, and finds the source location of each argument for diagnostics.
/// Tolerates half-typed code: a missing, mistyped or erroneous argument reads as its default.
/// </summary>
internal sealed class AttributeReader
{
    private readonly AttributeData _data;
    private readonly AttributeSyntax? _syntax;

    public AttributeReader(AttributeData data)
    {
        _data = data;
        _syntax = data.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
    }

    /// <summary>The attribute's display name as written (for messages), for example <c>Linear</c>.</summary>
    public string ShortName
    {
        get
        {
            string name = _data.AttributeClass?.Name ?? "attribute";
            return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }
    }

    /// <summary>The whole attribute, where errors about the layer as a whole are reported.</summary>
    public Location? Location => _syntax?.GetLocation();

    public int GetInt(string name, int defaultValue) => Find(name) is { } value ? ToInt(value, defaultValue) : defaultValue;

    public double GetDouble(string name, double defaultValue) => Find(name) switch
    {
        double d => d,
        float f => f,
        int i => i,
        _ => defaultValue,
    };

    public bool GetBool(string name, bool defaultValue) => Find(name) is bool b ? b : defaultValue;

    public bool Has(string name) => Find(name) is not null;

    /// <summary>The location of the argument that sets <paramref name="name"/>, or of the whole attribute.</summary>
    public Location? LocationOf(string name)
    {
        if (_syntax?.ArgumentList is { } list)
        {
            var parameters = _data.AttributeConstructor?.Parameters ?? default;
            int position = 0;
            foreach (var argument in list.Arguments)
            {
                if (argument.NameEquals is { } nameEquals)
                {
                    if (nameEquals.Name.Identifier.ValueText == name) return argument.GetLocation();
                    continue;
                }
                string? parameterName = argument.NameColon?.Name.Identifier.ValueText;
                if (parameterName is null && !parameters.IsDefault && position < parameters.Length)
                    parameterName = parameters[position].Name;
                position++;
                if (parameterName is not null && string.Equals(parameterName, name, StringComparison.OrdinalIgnoreCase))
                    return argument.GetLocation();
            }
        }
        return Location;
    }

    private object? Find(string name)
    {
        foreach (var named in _data.NamedArguments)
        {
            if (named.Key == name) return ValueOf(named.Value);
        }
        var constructor = _data.AttributeConstructor;
        if (constructor is not null)
        {
            var arguments = _data.ConstructorArguments;
            for (int i = 0; i < constructor.Parameters.Length && i < arguments.Length; i++)
            {
                if (string.Equals(constructor.Parameters[i].Name, name, StringComparison.OrdinalIgnoreCase))
                    return ValueOf(arguments[i]);
            }
        }
        return null;
    }

    private static object? ValueOf(TypedConstant constant)
        => constant.Kind is TypedConstantKind.Primitive or TypedConstantKind.Enum ? constant.Value : null;

    private static int ToInt(object value, int defaultValue) => value switch
    {
        int i => i,
        short s => s,
        byte b => b,
        long l when l >= int.MinValue && l <= int.MaxValue => (int)l,
        _ => defaultValue,
    };
}
