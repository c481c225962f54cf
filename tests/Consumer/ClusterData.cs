using ModelGen;

namespace Consumer;

/// <summary>
/// Rows drawn around one random centre per class (centres N(0, 1), spread N(0, 2²) per feature): separable enough
/// that a few dozen steps bring the loss well down, noisy enough that it does not reach zero.
/// </summary>
internal sealed class ClusterData
{
    private const float Noise = 2f;

    private readonly float[] _features;
    private readonly int[] _targets;

    private ClusterData(float[] features, int[] targets, int featureCount)
    {
        _features = features;
        _targets = targets;
        FeatureCount = featureCount;
    }

    public int Rows => _targets.Length;

    public int FeatureCount { get; }

    public static ClusterData Create(int rows, int features, int classes, ulong seed)
    {
        var random = new Rng(seed);
        float[] centres = new float[classes * features];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = random.NextNormal();
        }
        float[] values = new float[rows * features];
        int[] targets = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            int label = random.NextInt(classes);
            targets[row] = label;
            for (int j = 0; j < features; j++)
            {
                values[(row * features) + j] = centres[(label * features) + j] + (Noise * random.NextNormal());
            }
        }
        return new ClusterData(values, targets, features);
    }

    public ReadOnlySpan<float> Batch(int start, int rows) => _features.AsSpan(start * FeatureCount, rows * FeatureCount);

    public ReadOnlySpan<int> Targets(int start, int rows) => _targets.AsSpan(start, rows);
}
