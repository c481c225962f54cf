using System;
using System.IO;
using ModelGen.IO;

namespace ModelGen.Bench;

/// <summary>The MNIST files the benchmarks use when they are there (the trainer downloads them into data/mnist).</summary>
internal static class BenchData
{
    public const string TrainImages = "data/mnist/train-images-idx3-ubyte";
    public const string TestImages = "data/mnist/t10k-images-idx3-ubyte";

    /// <summary>
    /// <paramref name="count"/> MNIST training images picked at random (seed 3), scaled to [0, 1]; null without the data.
    /// The file is looked for in data/mnist of the current folder or any folder above it or above this program, so the
    /// BenchmarkDotNet processes (which run in a folder of their own) find it too.
    /// </summary>
    public static float[]? MnistImages(int count)
    {
        if (FindUp(TrainImages) is not string path) return null;
        var images = Idx.ReadImages(path);
        var rng = new Rng(3);
        var picked = new int[count];
        for (int i = 0; i < count; i++) picked[i] = rng.NextInt(images.Count);
        var x = new float[count * images.PixelsPerImage];
        Idx.GatherScaled(images.Pixels, images.PixelsPerImage, picked, x);
        return x;
    }

    /// <summary>The first <paramref name="count"/> MNIST test images (all of them if fewer), scaled to [0, 1]; null without the data.</summary>
    public static float[]? MnistTestImages(int count)
    {
        if (FindUp(TestImages) is not string path) return null;
        var test = Idx.ReadImages(path);
        var images = new float[(long)Math.Min(count, test.Count) * test.PixelsPerImage];
        Idx.ScalePixels(test.Pixels.AsSpan(0, images.Length), images);
        return images;
    }

    /// <summary>Every MNIST training image as 8-bit pixels, (count, 784), as the trainer keeps them; null without the data.</summary>
    public static byte[]? MnistTrainPixels() => FindUp(TrainImages) is string path ? Idx.ReadImages(path).Pixels : null;

    /// <summary>
    /// An arena (aligned like a generated model's buffers) of <paramref name="length"/> values drawn uniformly from
    /// [<paramref name="low"/>, <paramref name="high"/>) with <paramref name="rng"/>.
    /// </summary>
    public static Arena<float> Uniform(ref Rng rng, int length, float low, float high)
    {
        var arena = new Arena<float>(length);
        Span<float> values = arena.Span;
        for (int i = 0; i < values.Length; i++) values[i] = low + (high - low) * rng.NextFloat();
        return arena;
    }

    /// <summary>The first existing <paramref name="relative"/> path from the current folder or the program's, going up.</summary>
    public static string? FindUp(string relative)
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                string candidate = Path.Combine(folder.FullName, relative);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
