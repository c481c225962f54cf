using System;
using System.Numerics.Tensors;

namespace ModelGen;

public static partial class Kernels
{
    /// <summary>
    /// Cross-entropy from logits, as <c>F.cross_entropy(logits, targets)</c> with mean reduction: the mean over rows of
    /// −log_softmax(logits)[target], with the max subtracted first so logits like ±1e4 stay finite. Writes the softmax
    /// to <paramref name="probs"/> (rows, classes) for the backward. Every target is checked before anything is
    /// written: one outside [0, classes) is an ArgumentOutOfRangeException naming the target, its row and the class
    /// count. With rows = 0 the mean is NaN, as in PyTorch.
    /// </summary>
    public static float CrossEntropyForward(Span<float> probs, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int rows, int classes)
    {
        CheckRows(rows, classes);
        CheckLength(probs, rows * classes); CheckLength(logits, rows * classes); CheckLength(targets, rows);
        CheckTargets(targets[..rows], classes);
        // Each row's logits minus its max (kept, in this thread's scratch row), then one exp over every row at once (a
        // few classes per row would otherwise make each call mostly overhead), then each row's sum, loss and division.
        // Every value sees the operations it would through per-row calls: the exp of a value does not depend on where
        // in the span it lies.
        int n = rows * classes;
        Span<float> maxima = ScratchRow(rows);
        for (int r = 0; r < rows; r++)
        {
            var lr = logits.Slice(r * classes, classes);
            var pr = probs.Slice(r * classes, classes);
            maxima[r] = TensorPrimitives.Max(lr);
            TensorPrimitives.Subtract(lr, maxima[r], pr);
        }
        TensorPrimitives.Exp(probs[..n], probs[..n]);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var lr = logits.Slice(r * classes, classes);
            var pr = probs.Slice(r * classes, classes);
            float sum = TensorPrimitives.Sum(pr);
            total += Math.Log(sum) - ((double)lr[targets[r]] - maxima[r]); // −log_softmax[target], summed in double
            TensorPrimitives.Divide(pr, sum, pr);
        }
        return (float)(total / rows);
    }

    /// <summary>dlogits = (softmax − one_hot(target)) / rows: the gradient of the mean. Overwrites dlogits.</summary>
    public static void CrossEntropyBackward(Span<float> dlogits, ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, int rows, int classes)
    {
        CheckRows(rows, classes);
        CheckLength(dlogits, rows * classes); CheckLength(probs, rows * classes); CheckLength(targets, rows);
        CheckTargets(targets[..rows], classes);
        if (rows == 0) return;
        TensorPrimitives.Divide(probs[..(rows * classes)], rows, dlogits[..(rows * classes)]);
        for (int r = 0; r < rows; r++) dlogits[r * classes + targets[r]] -= 1f / rows;
    }

    /// <summary>
    /// The index of the largest value, the first one on ties, as <c>torch.argmax</c>: a NaN counts as the largest
    /// (the first NaN wins) and −0 ties with +0.
    /// </summary>
    /// <param name="values">At least one value.</param>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) throw new ArgumentException("ArgMax of an empty span.", nameof(values));
        // Max propagates NaN; IndexOf compares with float.Equals, under which NaN equals NaN and −0 equals +0.
        return values.IndexOf(TensorPrimitives.Max(values));
    }

    private static void CheckTargets(ReadOnlySpan<int> targets, int classes)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i],
                    $"target {targets[i]} at row {i} is not a class index in [0, {classes}).");
        }
    }
}
