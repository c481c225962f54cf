using System;
using System.IO;
using System.Linq;
using ModelGen.IO;

namespace ModelGen.Tests.IO;

/// <summary>The IDX reader: valid files plain and gzip, and every way a file can lie about itself.</summary>
public sealed class IdxTests
{
    private const int Side = 28;
    private const int PerImage = Side * Side;

    private static string Write(TempFolder folder, string name, byte[] content, bool gzip)
    {
        string path = folder.File(name);
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(content) : content);
        return path;
    }

    private static InvalidDataException ReadImagesFails(string path, int rows = Side, int columns = Side)
        => Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path, rows, columns));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SmallSyntheticFilesRoundTrip(bool gzip)
    {
        using var folder = new TempFolder();
        byte[] pixels = IdxBytes.Pixels(5, PerImage);
        byte[] labels = [7, 0, 9, 3, 3];
        string images = Write(folder, "train-images-idx3-ubyte", IdxBytes.Images(5, Side, Side, pixels), gzip);
        string labelsPath = Write(folder, "train-labels-idx1-ubyte", IdxBytes.Labels(5, labels), gzip);

        IdxDataset data = Idx.LoadPair(images, labelsPath);

        Assert.Equal(5, data.Count);
        Assert.Equal(5, data.Images.Count);
        Assert.Equal(Side, data.Images.Rows);
        Assert.Equal(Side, data.Images.Columns);
        Assert.Equal(pixels, data.Images.Pixels);
        Assert.Equal(labels, data.Labels);
        Assert.Equal(pixels.AsSpan(2 * PerImage, PerImage).ToArray(), data.Images.GetImage(2).ToArray());

        float[] floats = data.Images.ToFloats();
        Assert.Equal(pixels.Length, floats.Length);
        for (int i = 0; i < pixels.Length; i++) Assert.Equal(pixels[i] / 255f, floats[i]);
    }

    [Fact]
    public void GatherScaledCopiesTheChosenRowsScaled()
    {
        var pixels = new byte[50 * 20];
        new Random(4).NextBytes(pixels);
        int[] rows = [7, 0, 49, 7, 23];
        var batch = new float[rows.Length * 20 + 1];
        batch[^1] = -1f;
        Idx.GatherScaled(pixels, 20, rows, batch);
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < 20; j++) Assert.Equal(pixels[rows[i] * 20 + j] / 255f, batch[i * 20 + j]);
        Assert.Equal(-1f, batch[^1]);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Idx.GatherScaled(pixels, 20, [3, 50], batch));
        Assert.Contains("rows[1] = 50 is not a row of the 50 in pixels", error.Message);
        Assert.Throws<ArgumentException>(() => Idx.GatherScaled(pixels, 20, rows, new float[99]));
    }

    [Fact]
    public void GatherScaledWithTheNextRowsGathersTheSameAndIgnoresNextRowsOutside()
    {
        var pixels = new byte[50 * 784];
        new Random(5).NextBytes(pixels);
        byte[] before = (byte[])pixels.Clone();
        int[] rows = [.. Enumerable.Range(0, 40).Select(i => (i * 17) % 50)];
        var expected = new float[rows.Length * 784];
        var batch = new float[rows.Length * 784];
        Idx.GatherScaled(pixels, 784, rows, expected);
        Idx.GatherScaled(pixels, 784, rows, batch, [0, 49, 7, 50, -1, int.MaxValue, int.MinValue, 3, 3]);
        Assert.Equal(expected, batch);
        Array.Clear(batch);
        Idx.GatherScaled(pixels, 784, rows.AsSpan(0, 1), batch, [.. Enumerable.Range(0, 50)]);
        Assert.Equal(expected.AsSpan(0, 784).ToArray(), batch.AsSpan(0, 784).ToArray());
        Assert.All(batch.Skip(784), value => Assert.Equal(0f, value));
        Idx.GatherScaled(pixels, 784, [], batch, [1, 2]);
        Assert.Equal(before, pixels);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Idx.GatherScaled(pixels, 784, [3, 50], batch, [1]));
        Assert.Contains("rows[1] = 50 is not a row of the 50 in pixels", error.Message);
    }

    [Fact]
    public void PrefetchRowsIsAHintThatChangesNothingAndIgnoresRowsOutside()
    {
        var pixels = new byte[50 * 784 + 5];
        new Random(4).NextBytes(pixels);
        byte[] before = (byte[])pixels.Clone();
        Idx.PrefetchRows(pixels, 784, [0, 49, 7, 50, -1, int.MaxValue, int.MinValue]);
        Idx.PrefetchRows(pixels, 0, [0]);
        Idx.PrefetchRows(pixels, -3, [0]);
        Idx.PrefetchRows([], 784, [0]);
        Assert.Equal(before, pixels);
    }

    [Theory, MemberData(nameof(Kernels.Reference.Widths), MemberType = typeof(Kernels.Reference))]
    public void ScalePixelsDividesEveryValueBy255AsToTensor(int width) => Kernels.Reference.AtWidth(width, () =>
    {
        var all = new byte[256 + 37];
        for (int i = 0; i < all.Length; i++) all[i] = (byte)(i * 7);
        for (int length = 0; length <= all.Length; length += length < 40 ? 1 : 53)
        {
            var scaled = new float[length + 1];
            scaled[length] = -1f;
            Idx.ScalePixels(all.AsSpan(0, length), scaled);
            for (int i = 0; i < length; i++) Assert.Equal(all[i] / 255f, scaled[i]);
            Assert.Equal(-1f, scaled[length]);
        }
        Assert.Throws<ArgumentException>(() => Idx.ScalePixels(new byte[3], new float[2]));
    });

    [Fact]
    public void ToFloatsMapsTheFullByteRangeExactlyOntoZeroToOne()
    {
        byte[] pixels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var images = new IdxImages(1, 16, 16, pixels);
        float[] floats = images.ToFloats();
        Assert.Equal(0f, floats[0]);
        Assert.Equal(1f, floats[255]);
        for (int i = 0; i < 256; i++) Assert.Equal(i / 255f, floats[i]);
    }

    [Fact]
    public void OtherDimensionsAreReadWhenTheCallerAsksForThem()
    {
        using var folder = new TempFolder();
        byte[] pixels = IdxBytes.Pixels(3, 12);
        string path = Write(folder, "small-idx3-ubyte", IdxBytes.Images(3, 3, 4, pixels), gzip: false);
        IdxImages images = Idx.ReadImages(path, rows: 3, columns: 4);
        Assert.Equal((3, 3, 4), (images.Count, images.Rows, images.Columns));
        Assert.Equal(pixels, images.Pixels);
    }

    [Fact]
    public void GzipIsToldByItsMagicBytesNotByTheFileName()
    {
        using var folder = new TempFolder();
        byte[] content = IdxBytes.Labels(4, [1, 2, 3, 4]);
        string gzipNamedPlain = Write(folder, "labels.bin", content, gzip: true);
        string plainNamedGzip = Write(folder, "labels.gz", content, gzip: false);
        Assert.Equal([1, 2, 3, 4], Idx.ReadLabels(gzipNamedPlain));
        Assert.Equal([1, 2, 3, 4], Idx.ReadLabels(plainNamedGzip));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataIsAnErrorNamingTheFile(bool gzip)
    {
        using var folder = new TempFolder();
        byte[] content = IdxBytes.Images(3, Side, Side, IdxBytes.Pixels(3, PerImage));
        string path = Write(folder, "train-images-idx3-ubyte", content[..^1], gzip);

        var error = ReadImagesFails(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("3 images of 28×28", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedHeaderIsAnError(bool gzip)
    {
        using var folder = new TempFolder();
        byte[] content = IdxBytes.Images(3, Side, Side, []);
        string path = Write(folder, "train-images-idx3-ubyte", content[..10], gzip);

        var error = ReadImagesFails(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("ends after 10 bytes", error.Message);
        Assert.Contains("16-byte header", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OversizedFileIsAnError(bool gzip)
    {
        using var folder = new TempFolder();
        byte[] content = IdxBytes.Labels(3, [1, 2, 3, 4]); // one label more than declared
        string path = Write(folder, "train-labels-idx1-ubyte", content, gzip);

        var error = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("declares 3 labels", error.Message);
        Assert.Contains("trailing data", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongMagicIsAnErrorThatSaysWhatTheFileIs(bool gzip)
    {
        using var folder = new TempFolder();
        string labels = Write(folder, "train-labels-idx1-ubyte", IdxBytes.Labels(2, [0, 1]), gzip);
        var error = ReadImagesFails(labels);
        Assert.Contains(labels, error.Message);
        Assert.Contains("magic number is 0x00000801, not 0x00000803", error.Message);
        Assert.Contains("label file", error.Message);

        string junk = Write(folder, "junk", "not an idx file at all"u8.ToArray(), gzip);
        var junkError = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(junk));
        Assert.Contains(junk, junkError.Message);
        Assert.Contains("magic number", junkError.Message);
    }

    [Fact]
    public void WrongDimensionsAreAnError()
    {
        using var folder = new TempFolder();
        string path = Write(folder, "train-images-idx3-ubyte", IdxBytes.Images(1, 28, 29, new byte[28 * 29]), gzip: false);
        var error = ReadImagesFails(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("declares images of 28×29 but 28×28 were expected", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AbsurdCountInASmallFileFailsWithoutAllocatingTheClaim(bool gzip)
    {
        using var folder = new TempFolder();
        var content = new byte[1024];
        IdxBytes.Images(1u << 31, Side, Side, []).CopyTo(content, 0);
        string path = Write(folder, "train-images-idx3-ubyte", content, gzip);

        ReadImagesFails(path); // warm up: first-call costs are not the reader's
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = ReadImagesFails(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(path, error.Message);
        Assert.Contains("declares 2147483648 images of 28×28 (1.7 TB", error.Message);
        Assert.Contains(gzip ? "the gzip file is" : "the file holds 1024 bytes", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void LargeButArrayableClaimInASmallGzipFileFailsBeforeAllocating()
    {
        // 1,000,000 images = 784 MB: small enough for one array, far more than a few hundred gzip bytes can hold.
        using var folder = new TempFolder();
        string path = Write(folder, "train-images-idx3-ubyte", IdxBytes.Images(1_000_000, Side, Side, new byte[PerImage]), gzip: true);

        ReadImagesFails(path);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = ReadImagesFails(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("decompress to at most", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void ShortGzipDataIsAnErrorAndGrowsItsBufferOnlyWithTheData()
    {
        // 2,000 images declared (1.6 MB), 10 present: the gzip ratio allows the claim, the data does not.
        using var folder = new TempFolder();
        var noise = new byte[10 * PerImage];
        new Random(1).NextBytes(noise); // incompressible, so the claim passes the ratio bound
        byte[] content = IdxBytes.Images(2_000, Side, Side, noise);
        string path = Write(folder, "train-images-idx3-ubyte", content, gzip: true);
        Assert.True(new FileInfo(path).Length * 1032 > 2_000 * PerImage, "the test needs a claim the ratio bound allows");

        ReadImagesFails(path);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = ReadImagesFails(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("decompresses to only 7856 bytes (truncated)", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void CorruptGzipIsAnErrorNamingTheFile()
    {
        using var folder = new TempFolder();
        byte[] gzip = IdxBytes.Gzip(IdxBytes.Labels(100, new byte[100]));
        gzip[12] ^= 0xff;
        gzip[13] ^= 0x55;
        string path = folder.File("train-labels-idx1-ubyte.gz");
        File.WriteAllBytes(path, gzip);
        var error = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsAnErrorGivingItsIndex()
    {
        using var folder = new TempFolder();
        string path = Write(folder, "train-labels-idx1-ubyte", IdxBytes.Labels(5, [0, 9, 4, 10, 2]), gzip: false);
        var error = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("label 10 at index 3 is outside 0..9", error.Message);

        Assert.Equal([0, 9, 4, 10, 2], Idx.ReadLabels(path, classCount: 11));
    }

    [Fact]
    public void LabelAndImageCountMismatchIsAnErrorNamingBothFiles()
    {
        using var folder = new TempFolder();
        string images = Write(folder, "train-images-idx3-ubyte", IdxBytes.Images(3, Side, Side, IdxBytes.Pixels(3, PerImage)), gzip: false);
        string labels = Write(folder, "train-labels-idx1-ubyte", IdxBytes.Labels(4, [0, 1, 2, 3]), gzip: true);
        var error = Assert.Throws<InvalidDataException>(() => Idx.LoadPair(images, labels));
        Assert.Contains(images, error.Message);
        Assert.Contains(labels, error.Message);
        Assert.Contains("3 images", error.Message);
        Assert.Contains("4 labels", error.Message);
    }

    [Fact]
    public void EmptyFileIsAnError()
    {
        using var folder = new TempFolder();
        string path = Write(folder, "empty", [], gzip: false);
        var error = ReadImagesFails(path);
        Assert.Contains("ends after 0 bytes", error.Message);
    }
}
