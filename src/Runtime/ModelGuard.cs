using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>
/// Argument checks shared by every generated model, so the generated code stays short. Each throws an
/// ArgumentException that says what was passed and what was expected; none allocates unless it throws.
/// </summary>
public static class ModelGuard
{
    /// <summary>Checks 1 ≤ rows ≤ batchSize.</summary>
    public static void Rows(int rows, int batchSize)
    {
        if (rows < 1 || rows > batchSize)
            throw new ArgumentOutOfRangeException(nameof(rows), rows,
                $"rows must be between 1 and the model's batch capacity {batchSize} (set by [Model(BatchSize = {batchSize})]), but is {rows}.");
    }

    /// <summary>Checks that a span holds exactly <paramref name="expected"/> values.</summary>
    public static void Length<T>(ReadOnlySpan<T> span, int expected, string name, int rows, string unit, int perRow)
    {
        if (span.Length != expected) ThrowLength(span.Length, expected, name, rows, unit, perRow);
    }

    /// <summary>Checks that a span holds exactly <paramref name="expected"/> values.</summary>
    public static void Length<T>(Span<T> span, int expected, string name, int rows, string unit, int perRow)
    {
        if (span.Length != expected) ThrowLength(span.Length, expected, name, rows, unit, perRow);
    }

    private static void ThrowLength(int actual, int expected, string name, int rows, string unit, int perRow)
        => throw new ArgumentException(
            $"{name} holds {actual} values, but {rows} rows × {perRow} {unit} need exactly {expected}.", name);

    /// <summary>Checks the target count and that every target is a class index in [0, classes).</summary>
    public static void Targets(ReadOnlySpan<int> targets, int expected, int classes)
    {
        if (targets.Length != expected)
            throw new ArgumentException($"targets holds {targets.Length} values, but {expected} are needed.", nameof(targets));
        for (int i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i],
                    $"target {targets[i]} at position {i} is not a class index in [0, {classes}).");
        }
    }

    /// <summary>Checks that the model keeps enough optimizer state for <paramref name="optimizer"/>; returns its slot count.</summary>
    public static int OptimizerSlots(Optimizer optimizer, int available)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        int slots = optimizer.StateFloatsPerParameter;
        if (slots < 0 || slots > available)
            throw new ArgumentException(
                $"{optimizer.GetType().Name} needs {slots} state values per parameter; generated models keep {available}.", nameof(optimizer));
        return slots;
    }

    /// <summary>The index of the parameter named <paramref name="name"/>; the error lists the valid names.</summary>
    public static int IndexOf(IReadOnlyList<ParameterInfo> table, string name)
    {
        for (int i = 0; i < table.Count; i++)
        {
            if (table[i].Name == name) return i;
        }
        var names = new List<string>();
        foreach (var info in table) names.Add(info.Name);
        throw new ArgumentException($"The model has no parameter '{name}'. Its parameters are: {string.Join(", ", names)}.", nameof(name));
    }
}
