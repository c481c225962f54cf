using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace ModelGen.Samples.Mnist;

/// <summary>Test accuracy and the confusion matrix of a model, in eval mode, over every test image (the last batch partial).</summary>
public static class Evaluator
{
    /// <summary>Counts the correctly classified images among the first <paramref name="count"/>, in batches of the model's capacity.</summary>
    public static int CountCorrect(MnistClassifier model, float[] images, int[] labels, int count)
    {
        int correct = 0;
        for (int first = 0; first < count; first += MnistClassifier.BatchSize)
        {
            int rows = Math.Min(MnistClassifier.BatchSize, count - first);
            correct += model.CountCorrect(images.AsSpan(first * MnistData.ImageSize, rows * MnistData.ImageSize), labels.AsSpan(first, rows), rows);
        }
        return correct;
    }

    /// <summary>The 10×10 confusion matrix over the first <paramref name="count"/> images: [true class, predicted class].</summary>
    public static int[,] ConfusionMatrix(MnistClassifier model, float[] images, int[] labels, int count)
    {
        var matrix = new int[MnistClassifier.ClassCount, MnistClassifier.ClassCount];
        var predictions = new int[MnistClassifier.BatchSize];
        for (int first = 0; first < count; first += MnistClassifier.BatchSize)
        {
            int rows = Math.Min(MnistClassifier.BatchSize, count - first);
            model.Predict(images.AsSpan(first * MnistData.ImageSize, rows * MnistData.ImageSize), rows, predictions.AsSpan(0, rows));
            for (int r = 0; r < rows; r++) matrix[labels[first + r], predictions[r]]++;
        }
        return matrix;
    }

    /// <summary>
    /// The confusion matrix as a table: rows are the true class, columns the predicted class, the diagonal marked,
    /// and each row's recall at its end.
    /// </summary>
    public static string FormatConfusionMatrix(int[,] matrix, string[] classNames)
    {
        var c = CultureInfo.InvariantCulture;
        int classes = matrix.GetLength(0);
        int cell = 6;
        for (int i = 0; i < classes; i++)
            for (int j = 0; j < classes; j++)
                cell = Math.Max(cell, matrix[i, j].ToString(c).Length + 3);
        int nameWidth = 5;
        foreach (string name in classNames) nameWidth = Math.Max(nameWidth, name.Length);
        bool named = classNames[0] != "0";

        var text = new StringBuilder();
        text.Append(new string(' ', nameWidth + 3)).AppendLine("predicted ->");
        text.Append("true".PadRight(nameWidth + 3));
        for (int j = 0; j < classes; j++) text.Append(j.ToString(c).PadLeft(cell));
        text.AppendLine("   recall");
        for (int i = 0; i < classes; i++)
        {
            text.Append((named ? i.ToString(c) + " " + classNames[i] : classNames[i]).PadRight(nameWidth + 3));
            int total = 0;
            for (int j = 0; j < classes; j++)
            {
                total += matrix[i, j];
                string value = matrix[i, j].ToString(c);
                text.Append(i == j ? ("[" + value + "]").PadLeft(cell) : (matrix[i, j] == 0 ? "." : value).PadLeft(cell - 1) + " ");
            }
            text.AppendLine(total == 0 ? "        -" : string.Create(c, $"{100.0 * matrix[i, i] / total,8:0.00}%"));
        }
        return text.ToString();
    }

    /// <summary>Runs <c>mnist eval</c>: loads the weights, evaluates, prints accuracy and the confusion matrix.</summary>
    public static double Run(string weightsPath, MnistData data, TextWriter output)
    {
        var model = new MnistClassifier();
        ModelGen.IO.Checkpoint.LoadWeights(weightsPath, model);
        model.Eval();
        var matrix = ConfusionMatrix(model, data.TestImages, data.TestLabels, data.TestCount);
        int correct = 0;
        for (int i = 0; i < MnistClassifier.ClassCount; i++) correct += matrix[i, i];
        double accuracy = (double)correct / data.TestCount;
        output.WriteLine($"weights: {Path.GetFullPath(weightsPath)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{data.Name}: {data.TestCount} test images, {correct} correct, {data.TestCount - correct} wrong"));
        output.WriteLine();
        output.WriteLine("confusion matrix (rows: true class, columns: predicted class; [diagonal] = correct):");
        output.Write(FormatConfusionMatrix(matrix, data.ClassNames));
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy: {100 * accuracy:0.00}% ({correct}/{data.TestCount})"));
        return accuracy;
    }
}
