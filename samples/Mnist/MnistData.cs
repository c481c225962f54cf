using System;
using System.IO;
using ModelGen.IO;

namespace ModelGen.Samples.Mnist;

/// <summary>The data sets the trainer knows; both are 28×28 grey images in 10 classes.</summary>
public enum DatasetKind
{
    /// <summary>Handwritten digits.</summary>
    Mnist,

    /// <summary>Zalando's Fashion-MNIST: clothing in the same format.</summary>
    Fashion,
}

/// <summary>
/// A data set in memory, as the model takes it: images as floats in [0, 1] (pixel / 255), row-major, 784 per image,
/// and labels as class indices.
/// </summary>
public sealed class MnistData
{
    /// <summary>Floats per image.</summary>
    public const int ImageSize = 28 * 28;

    private static readonly string[] s_digitNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private static readonly string[] s_fashionNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Wraps images and labels; the arrays are used as they are, not copied. Training images stay 8-bit (scaled as
    /// each batch is copied, see <see cref="CopyTrainImages"/>): a random batch then reads a quarter of the memory.
    /// </summary>
    public MnistData(DatasetKind kind, byte[] trainPixels, int[] trainLabels, float[] testImages, int[] testLabels)
    {
        ArgumentNullException.ThrowIfNull(trainPixels);
        ArgumentNullException.ThrowIfNull(trainLabels);
        if (trainPixels.Length != trainLabels.Length * ImageSize)
            throw new InvalidDataException($"The training set has {trainLabels.Length} labels but {trainPixels.Length} pixels of images; {trainLabels.Length} × {ImageSize} were expected.");
        Check(trainLabels, "training");
        Check(testImages, testLabels, "test");
        Kind = kind;
        TrainPixels = trainPixels;
        TrainLabels = trainLabels;
        TestImages = testImages;
        TestLabels = testLabels;
    }

    /// <summary>Which data set this is.</summary>
    public DatasetKind Kind { get; }

    /// <summary>The data set's name in run folders and checkpoints: <c>mnist</c> or <c>fashion-mnist</c>.</summary>
    public string Name => NameOf(Kind);

    /// <summary>Training images as 8-bit pixels, (TrainCount, 784).</summary>
    public byte[] TrainPixels { get; }

    /// <summary>
    /// Writes the training images <paramref name="indices"/>, scaled to [0, 1] (x / 255, as ToTensor), one after
    /// another into <paramref name="destination"/>, and starts bringing the images <paramref name="next"/> (the next
    /// batch, while this one trains) into the processor's caches.
    /// </summary>
    public void CopyTrainImages(ReadOnlySpan<int> indices, Span<float> destination, ReadOnlySpan<int> next = default)
        => Idx.GatherScaled(TrainPixels, ImageSize, indices, destination, next);

    /// <summary>Training labels, (TrainCount).</summary>
    public int[] TrainLabels { get; }

    /// <summary>Test images, (TestCount, 784).</summary>
    public float[] TestImages { get; }

    /// <summary>Test labels, (TestCount).</summary>
    public int[] TestLabels { get; }

    /// <summary>Number of training images.</summary>
    public int TrainCount => TrainLabels.Length;

    /// <summary>Number of test images.</summary>
    public int TestCount => TestLabels.Length;

    /// <summary>The class names, index = label.</summary>
    public string[] ClassNames => ClassNamesOf(Kind);

    /// <summary>The name of <paramref name="kind"/> in run folders and checkpoints.</summary>
    public static string NameOf(DatasetKind kind) => kind == DatasetKind.Fashion ? "fashion-mnist" : "mnist";

    /// <summary>Parses a name written by <see cref="NameOf"/>; false for anything else.</summary>
    public static bool TryParseName(string name, out DatasetKind kind)
    {
        (bool known, kind) = name switch
        {
            "mnist" => (true, DatasetKind.Mnist),
            "fashion-mnist" or "fashion" => (true, DatasetKind.Fashion),
            _ => (false, DatasetKind.Mnist),
        };
        return known;
    }

    /// <summary>The class names of <paramref name="kind"/>.</summary>
    public static string[] ClassNamesOf(DatasetKind kind) => kind == DatasetKind.Fashion ? s_fashionNames : s_digitNames;

    /// <summary>The first <paramref name="trainCount"/> training and <paramref name="testCount"/> test images (all when null or larger), copied.</summary>
    public MnistData Take(int? trainCount, int? testCount)
    {
        int train = Math.Min(trainCount ?? TrainCount, TrainCount);
        int test = Math.Min(testCount ?? TestCount, TestCount);
        if (train == TrainCount && test == TestCount) return this;
        return new MnistData(Kind,
            TrainPixels.AsSpan(0, train * ImageSize).ToArray(), TrainLabels.AsSpan(0, train).ToArray(),
            TestImages.AsSpan(0, test * ImageSize).ToArray(), TestLabels.AsSpan(0, test).ToArray());
    }

    private static void Check(float[] images, int[] labels, string part)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Length != labels.Length * ImageSize)
            throw new InvalidDataException($"The {part} set has {labels.Length} labels but {images.Length} floats of images; {labels.Length} × {ImageSize} were expected.");
        Check(labels, part);
    }

    private static void Check(int[] labels, string part)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= 10) throw new InvalidDataException($"The {part} label at index {i} is {labels[i]}, not a class 0–9.");
        }
    }
}
