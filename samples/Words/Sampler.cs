using System;
using System.Text;

namespace ModelGen.Samples.Words;

/// <summary>
/// Draws words from a model, one character at a time: the context starts as T boundaries (plus an optional prefix),
/// the next symbol is drawn from softmax(logits / temperature), and the boundary ends the word. Runs in eval mode,
/// so Dropout is off; the model's mode is restored afterwards.
/// </summary>
public sealed class Sampler
{
    /// <summary>The longest word drawn; a word that has not ended by then is cut there.</summary>
    public const int MaxLength = 32;

    private readonly IModel<int> _model;
    private readonly int[] _context;
    private readonly float[] _logits;
    private readonly double[] _weights;

    /// <summary>Samples from <paramref name="model"/>, whose rows are T ids and whose output is the next symbol's logits.</summary>
    public Sampler(IModel<int> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.ClassCount != Vocabulary.Size || model.OutputSize != Vocabulary.Size)
            throw new ArgumentException($"The model predicts {model.OutputSize} values, not the {Vocabulary.Size} symbols of the vocabulary.", nameof(model));
        _model = model;
        _context = new int[model.InputSize];
        _logits = new float[Vocabulary.Size];
        _weights = new double[Vocabulary.Size];
    }

    /// <summary>
    /// One word: <paramref name="prefix"/> followed by drawn letters until the boundary or <see cref="MaxLength"/>.
    /// A prefix character outside a–z is an <see cref="ArgumentException"/> naming it and its position.
    /// </summary>
    public string Sample(ref Rng random, float temperature, string prefix = "")
    {
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive number.");
        ArgumentNullException.ThrowIfNull(prefix);
        var prefixIds = new int[prefix.Length];
        Vocabulary.Encode(prefix, prefixIds);

        bool wasTraining = _model.IsTraining;
        _model.Eval();
        try
        {
            Array.Fill(_context, Vocabulary.Boundary);
            var word = new StringBuilder(prefix, MaxLength);
            foreach (int id in prefixIds) Push(id);
            while (word.Length < MaxLength)
            {
                int next = Next(ref random, temperature);
                if (next == Vocabulary.Boundary) break;
                word.Append(Vocabulary.CharOf(next));
                Push(next);
            }
            return word.ToString();
        }
        finally
        {
            if (wasTraining) _model.Train();
        }
    }

    private void Push(int id)
    {
        _context.AsSpan(1).CopyTo(_context);
        _context[^1] = id;
    }

    private int Next(ref Rng random, float temperature)
    {
        _model.Forward(_context, 1, _logits);
        Softmax(_logits, temperature, _weights);
        double u = random.NextDouble(), cumulative = 0;
        for (int i = 0; i < _weights.Length; i++)
        {
            cumulative += _weights[i];
            if (u < cumulative) return i;
        }
        return _weights.Length - 1; // u fell in the rounding gap at the top
    }

    private static void Softmax(ReadOnlySpan<float> logits, float temperature, Span<double> p)
    {
        double max = double.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l / (double)temperature);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += p[i] = Math.Exp(logits[i] / (double)temperature - max);
        for (int i = 0; i < logits.Length; i++) p[i] /= sum;
    }
}
