using System;
using System.Diagnostics;
using System.Globalization;
using ModelGen.IO;

namespace ModelGen.Bench;

/// <summary>
/// The reference workload's training loop as the PyTorch reference (<c>torch_mnist.py</c>) runs it, on either of its two
/// models: the MNIST trainer's (<c>ln</c>) or the same model without LayerNorm (<c>plain</c>), which the trainer does not
/// train. AdamW (lr 1e-3, weight decay 0.01, constant), batch 64; each epoch shuffles the 60,000 training images, then
/// times its steps (gather and scale the batch, with the next batch's rows requested, as the trainer does; then
/// <c>TrainStep</c>), then counts the correct test images. Prints one line per epoch with the images per second;
/// bench/compare-pytorch.sh compares the <c>plain</c> model's with PyTorch's <c>plain</c> mode.
/// <code>dotnet run -c Release --project bench/ModelGen.Bench -- train [ln|plain] [THREADS] [EPOCHS]</code>
/// </summary>
internal static class TrainLoop
{
    private const int Batch = 64, Pixels = 784;

    public static void Run(string[] args)
    {
        string model = args.Length > 1 ? args[1] : "ln";
        int threads = args.Length > 2 ? Parse(args[2], "THREADS", 1, 256) : 1;
        int epochs = args.Length > 3 ? Parse(args[3], "EPOCHS", 1, 1000) : 2;
        switch (model)
        {
            case "ln":
                Train(new MnistClassifier(seed: 0), "MLP 784-256-256-256 with LayerNorm and GELU, head to 10", threads, epochs);
                break;
            case "plain":
                Train(new MnistClassifierPlain(seed: 0), "MLP 784-256-256-256 with GELU, no LayerNorm, head to 10", threads, epochs);
                break;
            default:
                Fail($"unknown model '{model}': expected ln or plain.");
                break;
        }
    }

    private static void Train<TModel>(TModel model, string description, int threads, int epochs) where TModel : IModel<float>
    {
        string[] files = [BenchData.TrainImages, "data/mnist/train-labels-idx1-ubyte", BenchData.TestImages, "data/mnist/t10k-labels-idx1-ubyte"];
        string?[] paths = Array.ConvertAll(files, BenchData.FindUp);
        if (Array.IndexOf(paths, null) >= 0)
        {
            Fail("data/mnist with the four MNIST files was not found here or above: run the MNIST trainer once, which fetches them.");
            return;
        }
        IdxImages trainImages = Idx.ReadImages(paths[0]!);
        int[] trainLabels = Array.ConvertAll(Idx.ReadLabels(paths[1]!), b => (int)b);
        int[] testLabels = Array.ConvertAll(Idx.ReadLabels(paths[3]!), b => (int)b);
        float[] test = BenchData.MnistTestImages(testLabels.Length)!;
        int n = trainImages.Count, steps = (n + Batch - 1) / Batch, testCount = testLabels.Length;

        KernelThreads.Count = threads;
        var optimizer = new AdamW(learningRate: 1e-3f, weightDecay: 0.01f);
        var order = new int[n];
        var images = new Arena<float>(Batch * Pixels);
        var labels = new int[Batch];
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"{description}; AdamW lr 0.001, batch {Batch}, {epochs} epochs, {threads} thread{(threads == 1 ? "" : "s")}"));
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            model.Train();
            for (int i = 0; i < n; i++) order[i] = i;
            var shuffle = new Rng((ulong)epoch + 1);
            shuffle.Shuffle(order);
            float loss = 0;
            long start = Stopwatch.GetTimestamp();
            for (int b = 0; b < steps; b++)
            {
                int first = b * Batch, rows = Math.Min(Batch, n - first);
                Idx.GatherScaled(trainImages.Pixels, Pixels, order.AsSpan(first, rows), images.Span, order.AsSpan(first + rows, Math.Min(Batch, n - first - rows)));
                for (int r = 0; r < rows; r++) labels[r] = trainLabels[order[first + r]];
                loss = model.TrainStep(images.Span[..(rows * Pixels)], labels.AsSpan(0, rows), rows, optimizer);
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            model.Eval();
            int correct = 0;
            for (int first = 0; first < testCount; first += Batch)
            {
                int rows = Math.Min(Batch, testCount - first);
                correct += model.CountCorrect(test.AsSpan(first * Pixels, rows * Pixels), testLabels.AsSpan(first, rows), rows);
            }
            Console.WriteLine(string.Create(c,
                $"epoch {epoch + 1}: train {n / seconds:F0} img/s ({seconds:F2} s), loss {loss:F4}, test acc {100.0 * correct / testCount:F2}%"));
        }
        KernelThreads.Count = 1;
    }

    private static int Parse(string text, string name, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            Fail($"{name} must be a whole number from {min} to {max}, not '{text}'.");
        return value;
    }

    private static void Fail(string message)
    {
        Console.Error.WriteLine("train: " + message);
        Environment.Exit(2);
    }
}
