using System.IO;
using ModelGen.IO;

namespace ModelGen.Samples.Mnist;

/// <summary>Finds a data set's four IDX files with <see cref="DatasetFiles.Locate"/> (SHA-256 verified) and reads them into a <see cref="MnistData"/>.</summary>
public static class DataSource
{
    /// <summary>The locator's description of <paramref name="kind"/>: files, hashes, cache folder and sources.</summary>
    public static DatasetSpec SpecOf(DatasetKind kind) => kind == DatasetKind.Fashion ? DatasetSpec.FashionMnist : DatasetSpec.Mnist;

    /// <summary>
    /// Reads <paramref name="kind"/> from <paramref name="dataDirectory"/>, else from <paramref name="cacheDirectory"/>
    /// (null: data/mnist or data/fashion-mnist), else from the system folder or a fetch into the cache; where the files
    /// came from, and any source that failed, is written to <paramref name="log"/>.
    /// </summary>
    public static MnistData Load(DatasetKind kind, string? dataDirectory, string? cacheDirectory, TextWriter log)
    {
        DatasetLocation location = DatasetFiles.Locate(SpecOf(kind), new DatasetSearchOptions
        {
            DataDirectory = dataDirectory,
            CacheDirectory = cacheDirectory,
            Log = line => log.WriteLine(line),
        });
        IdxDataset train = Idx.LoadPair(location.GetPath(DatasetSpec.TrainImages), location.GetPath(DatasetSpec.TrainLabels));
        IdxDataset test = Idx.LoadPair(location.GetPath(DatasetSpec.TestImages), location.GetPath(DatasetSpec.TestLabels));
        return new MnistData(kind, train.Images.Pixels, ToInts(train.Labels), test.Images.ToFloats(), ToInts(test.Labels));
    }

    private static int[] ToInts(byte[] labels)
    {
        var result = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) result[i] = labels[i];
        return result;
    }
}
