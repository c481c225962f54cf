using System;
using System.Collections.Generic;

namespace ModelGen.Samples.Words;

/// <summary>
/// The count-based baseline: P(next | previous symbol) from the training words' bigram counts with additive
/// (Laplace) smoothing, (count + α) / (row total + 27α). It sees one symbol of context where the model sees T.
/// </summary>
public sealed class Bigram
{
    /// <summary>The default α: add-one smoothing.</summary>
    public const double DefaultSmoothing = 1.0;

    private readonly double[] _logProbabilities; // (27, 27): [previous, next]

    private Bigram(double[] logProbabilities, double smoothing)
    {
        _logProbabilities = logProbabilities;
        Smoothing = smoothing;
    }

    /// <summary>α.</summary>
    public double Smoothing { get; }

    /// <summary>Counts the bigrams of <paramref name="words"/>, each word framed by the boundary on both sides.</summary>
    public static Bigram Fit(IReadOnlyList<string> words, double smoothing = DefaultSmoothing)
    {
        if (!(smoothing > 0) || !double.IsFinite(smoothing)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing must be positive.");
        const int v = Vocabulary.Size;
        var counts = new double[v * v];
        foreach (string word in words)
        {
            int previous = Vocabulary.Boundary;
            for (int i = 0; i <= word.Length; i++)
            {
                int next = i < word.Length ? Vocabulary.IdOf(word[i]) : Vocabulary.Boundary;
                if (next < 0) throw Vocabulary.OutsideVocabulary(word, i);
                counts[previous * v + next]++;
                previous = next;
            }
        }
        var logP = new double[v * v];
        for (int row = 0; row < v; row++)
        {
            double total = 0;
            for (int j = 0; j < v; j++) total += counts[row * v + j];
            for (int j = 0; j < v; j++) logP[row * v + j] = Math.Log((counts[row * v + j] + smoothing) / (total + v * smoothing));
        }
        return new Bigram(logP, smoothing);
    }

    /// <summary>log P(<paramref name="next"/> | <paramref name="previous"/>).</summary>
    public double LogProbability(int previous, int next) => _logProbabilities[previous * Vocabulary.Size + next];

    /// <summary>The mean negative log-likelihood of <paramref name="examples"/>, in nats per character (the model's loss).</summary>
    public double Loss(Examples examples)
    {
        int t = examples.ContextLength;
        double sum = 0;
        for (int i = 0; i < examples.Count; i++) sum -= LogProbability(examples.Contexts[i * t + t - 1], examples.Targets[i]);
        return sum / examples.Count;
    }
}
