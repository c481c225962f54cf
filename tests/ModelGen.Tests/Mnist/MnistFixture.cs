using System;
using System.IO;
using ModelGen.Samples.Mnist;

namespace ModelGen.Tests.Mnist;

/// <summary>
/// Real MNIST, read once for every test in the "MNIST" collection from the repository's cache, data/mnist (fetched
/// there on first use, as the trainer does).
/// </summary>
public sealed class MnistFixture
{
    private readonly Lazy<MnistData> _data = new(() =>
        DataSource.Load(DatasetKind.Mnist, dataDirectory: null, cacheDirectory: CacheDirectory, TextWriter.Null));

    /// <summary>The folder that holds ModelGen.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The MNIST cache the trainer uses by default, under the repository root.</summary>
    public static string CacheDirectory => Path.Combine(RepositoryRoot, "data", "mnist");

    /// <summary>All 60 000 training and 10 000 test images.</summary>
    public MnistData Data => _data.Value;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelGen.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No ModelGen.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>Tests that share <see cref="MnistFixture"/>; they run one after another, so timings do not fight for the cores.</summary>
[CollectionDefinition(Name)]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>
{
    public const string Name = "MNIST";
}

/// <summary>A fresh folder under the temp directory, deleted at the end of the test.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modelgen-mnist-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
