using System;
using System.Numerics.Tensors;

namespace ModelGen;

public static partial class Kernels
{
    /// <summary>
    /// Cross-entropy from logits, as <c>F.cross_entropy(logits, targets)</c> with mean reduction: the mean over rows of
    /// −log_softmax(logits)[target], with the max subtracted first so logits like ±1e4 stay finite. Writes the softmax
    /// to <paramref name="probs"/> for the backward. A target outside [0, classes) is an ArgumentOutOfRangeException.
    /// </summary>
    public static float CrossEntropyForward(Span<float> probs, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int rows, int classes)
    {
        CheckRows(rows, classes);
        Need(probs, rows * classes, nameof(probs)); Need(logits, rows * classes, nameof(logits)); Need(targets, rows, nameof(targets));
        CheckTargets(targets[..rows], classes);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var lr = logits.Slice(r * classes, classes);
            var pr = probs.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(lr);
            TensorPrimitives.Subtract(lr, max, pr);
            TensorPrimitives.Exp(pr, pr);
            float sum = TensorPrimitives.Sum(pr);
            total += Math.Log(sum) - (lr[targets[r]] - max);
            TensorPrimitives.Divide(pr, sum, pr);
        }
        return (float)(total / rows);
    }

    /// <summary>dlogits = (softmax − one_hot(target)) / rows: the gradient of the mean. Overwrites dlogits.</summary>
    public static void CrossEntropyBackward(Span<float> dlogits, ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, int rows, int classes)
    {
        CheckRows(rows, classes);
        Need(dlogits, rows * classes, nameof(dlogits)); Need(probs, rows * classes, nameof(probs)); Need(targets, rows, nameof(targets));
        CheckTargets(targets[..rows], classes);
        if (rows == 0) return;
        TensorPrimitives.Divide(probs[..(rows * classes)], rows, dlogits[..(rows * classes)]);
        for (int r = 0; r < rows; r++) dlogits[r * classes + targets[r]] -= 1f / rows;
    }

    /// <summary>The index of the largest value, the first one on ties (as <c>torch.argmax</c>).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) throw new ArgumentException("ArgMax of an empty span.", nameof(values));
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
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
