using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace ModelGen.Tests.Generator;

/// <summary>
/// Snapshot assertions with Verify's file conventions: the expected text is <c>{Class}.{Test}.verified.cs</c> in a
/// Snapshots folder beside the test; a mismatch writes <c>.received.cs</c> next to it and fails with a line diff.
/// To accept every received file, run the tests once with <c>MODELGEN_ACCEPT_SNAPSHOTS=1</c>.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "MODELGEN_ACCEPT_SNAPSHOTS";

    public static void Verify(string actual, string name, [CallerFilePath] string caller = "", [CallerMemberName] string member = "")
    {
        string folder = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(caller)!, "..", "Snapshots"));
        string className = Path.GetFileNameWithoutExtension(caller);
        string stem = Path.Combine(folder, $"{className}.{member}{(name.Length > 0 ? "_" + name : "")}");
        string verified = stem + ".verified.cs";
        string received = stem + ".received.cs";
        actual = Normalize(actual);

        string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        Directory.CreateDirectory(folder);
        File.WriteAllText(received, actual);
        throw new XunitException(expected is null
            ? $"No snapshot {Path.GetFileName(verified)} yet. Review {received}, then accept it by renaming it or by running the tests with {AcceptVariable}=1."
            : $"Generated code differs from {Path.GetFileName(verified)} (received file: {received}; accept with {AcceptVariable}=1):\n{Diff(expected, actual)}");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');

    /// <summary>A unified-style line diff (longest common subsequence), with two lines of context.</summary>
    public static string Diff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var lines = new List<(char Kind, string Text, int Line)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { lines.Add((' ', a[x], y + 1)); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y])) { lines.Add(('+', b[y], y + 1)); y++; }
            else { lines.Add(('-', a[x], y + 1)); x++; }
        }

        var output = new StringBuilder();
        int lastPrinted = -1;
        for (int k = 0; k < lines.Count; k++)
        {
            if (lines[k].Kind == ' ') continue;
            int from = Math.Max(lastPrinted + 1, k - 2);
            if (from > lastPrinted + 1) output.Append($"@@ line {lines[from].Line} @@\n");
            for (int m = from; m <= Math.Min(lines.Count - 1, k + 2); m++)
            {
                if (m <= lastPrinted) continue;
                output.Append(lines[m].Kind).Append(' ').Append(lines[m].Text).Append('\n');
                lastPrinted = m;
            }
        }
        return output.ToString();
    }
}
