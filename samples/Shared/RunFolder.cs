using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using ModelGen.IO;

namespace ModelGen.Samples;

/// <summary>
/// One run's folder, <c>&lt;out&gt;/&lt;dataset&gt;-&lt;yyyyMMdd-HHmmss&gt;[-n]</c>, and the files in it. A folder is claimed
/// by creating its <c>run.txt</c> with <see cref="FileMode.CreateNew"/>, so two runs started in the same second
/// (or two processes) never share one.
/// </summary>
public sealed class RunFolder
{
    /// <summary>The run's settings, written first.</summary>
    public const string SettingsFileName = "run.txt";

    /// <summary>Per-step losses.</summary>
    public const string LossCsvFileName = "loss.csv";

    /// <summary>The loss plot.</summary>
    public const string LossPlotFileName = "loss.png";

    private RunFolder(string path) => Path = path;

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Where the weights go.</summary>
    public string WeightsPath => System.IO.Path.Combine(Path, Checkpoint.WeightsFileName);

    /// <summary>Where the resumable checkpoint goes.</summary>
    public string CheckpointPath => System.IO.Path.Combine(Path, Checkpoint.CheckpointFileName);

    /// <summary>Where the loss plot goes.</summary>
    public string LossPlotPath => System.IO.Path.Combine(Path, LossPlotFileName);

    /// <summary>Where the losses go.</summary>
    public string LossCsvPath => System.IO.Path.Combine(Path, LossCsvFileName);

    /// <summary>Creates and claims a new folder under <paramref name="parent"/>, writing <paramref name="settings"/> into its run.txt.</summary>
    public static RunFolder Create(string parent, string dataset, DateTime now, string settings)
    {
        string stem = System.IO.Path.GetFullPath(System.IO.Path.Combine(parent, dataset + "-" + now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        for (int n = 1; n < 10_000; n++)
        {
            string path = n == 1 ? stem : stem + "-" + n.ToString(CultureInfo.InvariantCulture);
            Directory.CreateDirectory(path);
            try
            {
                using var claim = new FileStream(System.IO.Path.Combine(path, SettingsFileName), FileMode.CreateNew, FileAccess.Write);
                byte[] bytes = Encoding.UTF8.GetBytes(settings);
                claim.Write(bytes);
                return new RunFolder(path);
            }
            catch (IOException) when (File.Exists(System.IO.Path.Combine(path, SettingsFileName)))
            {
                // Another run has this name; try the next suffix.
            }
        }
        throw new IOException($"Could not find a free run folder name near {stem}.");
    }

    /// <summary>
    /// Writes <c>step,epoch,loss</c> for the first <paramref name="count"/> losses (steps 1-based), atomically: a
    /// temporary file renamed over the old one.
    /// </summary>
    public void WriteLosses(ReadOnlySpan<float> losses, int count, int stepsPerEpoch)
    {
        var text = new StringBuilder(count * 24);
        text.Append("step,epoch,loss\n");
        for (int i = 0; i < count; i++)
        {
            text.Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((i / stepsPerEpoch + 1).ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(losses[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        WriteAtomically(LossCsvPath, text.ToString());
    }

    /// <summary>
    /// Reads the losses of a <c>loss.csv</c> (as written by <see cref="WriteLosses"/>) into <paramref name="destination"/>,
    /// up to its length; returns how many were read, or 0 when the file is absent or unreadable.
    /// </summary>
    public static int ReadLosses(string path, Span<float> destination)
    {
        if (!File.Exists(path)) return 0;
        int count = 0;
        foreach (string line in File.ReadLines(path))
        {
            if (count == destination.Length) break;
            if (line.StartsWith("step", StringComparison.Ordinal) || line.Length == 0) continue;
            string[] fields = line.Split(',');
            if (fields.Length != 3
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int step) || step != count + 1
                || !float.TryParse(fields[2], NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out float loss))
                return 0;
            destination[count++] = loss;
        }
        return count;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public static void WriteAtomically(string path, string text)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The settings as <c>key = value</c> lines for run.txt.</summary>
    public static string DescribeSettings(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in settings) text.Append(key).Append(" = ").Append(value).Append('\n');
        return text.ToString();
    }
}
