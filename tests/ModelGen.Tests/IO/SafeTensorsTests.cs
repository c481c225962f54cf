using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using ModelGen.IO;

namespace ModelGen.Tests.IO;

/// <summary>safetensors: the layout byte by byte, round trips, atomic saves, and every corruption the loader must catch.</summary>
public sealed class SafeTensorsTests
{
    /// <summary>A file as the spec describes it: u64 LE header length, the header, the data.</summary>
    private static byte[] Build(string header, byte[] data, ulong? headerLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    private static byte[] LittleEndian(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static InvalidDataException LoadFails(TempFolder folder, byte[] bytes)
    {
        string path = folder.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains(path, error.Message);
        return error;
    }

    private static InvalidDataException LoadFails(TempFolder folder, string header, byte[] data) => LoadFails(folder, Build(header, data));

    private static string[] TempFiles(TempFolder folder) => Directory.GetFiles(folder.Path, "*.tmp*");

    [Fact]
    public void RoundTripKeepsNamesShapesValuesAndMetadata()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        SafeTensor[] tensors =
        [
            new("body.layers.0.weight", [2, 3], [1f, -2.5f, 3.25f, float.NaN, -0f, float.Epsilon]),
            new("body.layers.0.bias", [3], [float.PositiveInfinity, float.NegativeInfinity, float.MaxValue]),
            new("scalar", [], [42f]),
            new("empty", [0, 4], []),
            new("head.fc.weight", [1, 2, 2], [0.1f, 0.2f, 0.3f, 0.4f]),
        ];
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\" <tag> +1", ["empty"] = "" };

        SafeTensors.Save(path, tensors, metadata);
        SafeTensorsFile file = SafeTensors.Load(path);

        Assert.Equal(path, file.Path);
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        // Names in data order; the empty tensor shares its offset with the next, so ties go by name.
        Assert.Equal(["body.layers.0.weight", "body.layers.0.bias", "scalar", "empty", "head.fc.weight"], file.Names);
        foreach (SafeTensor tensor in tensors)
        {
            Assert.True(file.Contains(tensor.Name));
            Assert.Equal(tensor.Shape, file.GetShape(tensor.Name));
            Assert.Equal(tensor.Data.Select(BitConverter.SingleToInt32Bits), file.Get(tensor.Name).Select(BitConverter.SingleToInt32Bits));
        }

        Assert.False(file.Contains("missing"));
        Assert.Empty(TempFiles(folder));
    }

    [Fact]
    public void SavedLayoutMatchesTheSpecByteForByte()
    {
        using var folder = new TempFolder();
        string path = folder.File("layout.safetensors");
        SafeTensors.Save(path, [new("b", [2], [1f, 2f]), new("a", [1, 1], [-3f])], new Dictionary<string, string> { ["k"] = "v" });

        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0ul, n % 8); // data starts 8-byte aligned
        Assert.Equal(8 + (long)n + 12, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.EndsWith("}", header.TrimEnd(' '));

        using var json = JsonDocument.Parse(header);
        JsonElement root = json.RootElement;
        Assert.Equal("v", root.GetProperty("__metadata__").GetProperty("k").GetString());
        JsonElement b = root.GetProperty("b");
        Assert.Equal("F32", b.GetProperty("dtype").GetString());
        Assert.Equal([2], b.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0L, 8L], b.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        JsonElement a = root.GetProperty("a");
        Assert.Equal([1, 1], a.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([8L, 12L], a.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(LittleEndian(1f, 2f, -3f), bytes[(8 + (int)n)..]);
    }

    [Fact]
    public void HandBuiltFileIsReadWithOffsetsRelativeToTheDataSection()
    {
        using var folder = new TempFolder();
        string path = folder.File("hand.safetensors");
        // Unpadded header, keys out of data order, an unknown key inside an entry, metadata last.
        const string Header = """{"second":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"first":{"shape":[2],"dtype":"F32","data_offsets":[0,8],"extra":[1,{"x":2}]},"__metadata__":{"format":"pt"}}""";
        File.WriteAllBytes(path, Build(Header, LittleEndian(0.5f, -1f, 7f)));

        SafeTensorsFile file = SafeTensors.Load(path);
        Assert.Equal(["first", "second"], file.Names);
        Assert.Equal([0.5f, -1f], file.Get("first"));
        Assert.Equal([7f], file.Get("second"));
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void FileWithNoTensorsLoads()
    {
        using var folder = new TempFolder();
        string path = folder.File("none.safetensors");
        SafeTensors.Save(path, []);
        SafeTensorsFile file = SafeTensors.Load(path);
        Assert.Empty(file.Names);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void GetReturnsACopy()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.safetensors");
        SafeTensors.Save(path, [new("w", [2], [1f, 2f])]);
        SafeTensorsFile file = SafeTensors.Load(path);
        file.Get("w")[0] = 99f;
        Assert.Equal([1f, 2f], file.Get("w"));
    }

    [Fact]
    public void CopyToChecksPresenceAndShape()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.safetensors");
        SafeTensors.Save(path, [new("fc.weight", [2, 3], [1, 2, 3, 4, 5, 6])]);
        SafeTensorsFile file = SafeTensors.Load(path);

        var destination = new float[8];
        file.CopyTo("fc.weight", [2, 3], destination);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 0, 0], destination);

        var shape = Assert.Throws<InvalidDataException>(() => file.CopyTo("fc.weight", [3, 2], destination));
        Assert.Contains("'fc.weight'", shape.Message);
        Assert.Contains("(2, 3)", shape.Message);
        Assert.Contains("(3, 2)", shape.Message);
        Assert.Contains(path, shape.Message);

        var missing = Assert.Throws<InvalidDataException>(() => file.CopyTo("fc.bias", [3], destination));
        Assert.Contains("'fc.bias'", missing.Message);
        Assert.Contains(path, missing.Message);
        Assert.Contains("fc.bias", Assert.Throws<InvalidDataException>(() => file.Get("fc.bias")).Message);

        Assert.Throws<ArgumentException>(() => file.CopyTo("fc.weight", [2, 3], new float[5]));
    }

    [Fact]
    public void SaveRejectsBadTensors()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.safetensors");
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("w", [1], [1f]), new("w", [1], [2f])])).Message);
        Assert.Contains("(2, 2)", Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("w", [2, 2], [1f, 2f, 3f])])).Message);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("w", [-1], [])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("", [1], [1f])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("__metadata__", [1], [1f])]));
        Assert.False(File.Exists(path));
        Assert.Empty(TempFiles(folder));
    }

    [Fact]
    public void SaveOverAnExistingFileIsAtomicWhenValidationFails()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        SafeTensors.Save(path, [new("w", [2], [1f, 2f])]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("w", [2], [3f, 4f]), new("b", [3], [1f])]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(TempFiles(folder));
    }

    [Fact]
    public void SaveOverAnExistingFileIsAtomicWhenTheWriteThrowsMidway()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        SafeTensors.Save(path, [new("w", [2], [1f, 2f])]);
        byte[] before = File.ReadAllBytes(path);

        // The header is written from a first pass over the list; the list fails while the data is being written.
        var list = new FailingList([new("w", [2], [3f, 4f]), new("b", [1], [5f])], failAfter: 3);
        var error = Assert.Throws<IOException>(() => SafeTensors.Save(path, list));
        Assert.Equal("simulated failure", error.Message);
        Assert.True(list.Reads > 2, "the failure must come after the header");

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(TempFiles(folder));
        Assert.Equal([1f, 2f], SafeTensors.Load(path).Get("w"));
    }

    [Fact]
    public void GoodSaveReplacesTheFileAndLeavesNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        SafeTensors.Save(path, [new("w", [2], [1f, 2f])]);
        SafeTensors.Save(path, [new("w", [3], [3f, 4f, 5f])]);
        Assert.Equal([3f, 4f, 5f], SafeTensors.Load(path).Get("w"));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void FileShorterThanTheLengthPrefixIsAnError()
    {
        using var folder = new TempFolder();
        Assert.Contains("fewer than the 8-byte header length", LoadFails(folder, [1, 2, 3]).Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsAnError()
    {
        using var folder = new TempFolder();
        var error = LoadFails(folder, Build("{}", [], headerLength: 1000));
        Assert.Contains("header length is 1000 bytes but only 2 bytes follow", error.Message);

        var huge = LoadFails(folder, Build("{}", [], headerLength: ulong.MaxValue));
        Assert.Contains("18446744073709551615", huge.Message);
    }

    [Fact]
    public void HugeHeaderLengthIsRejectedWithoutAllocatingIt()
    {
        using var folder = new TempFolder();
        string path = folder.File("huge.safetensors");
        using (var stream = File.Create(path))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, 150_000_000);
            stream.Write(prefix);
            stream.SetLength(200_000_000); // sparse: the header length fits in the file but exceeds the limit
        }

        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than the 100000000 allowed", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", "not valid JSON")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],}}""", "not valid JSON")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} x""", "not valid JSON")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}{}""", "not valid JSON")]
    [InlineData("""{"w":[1]}""", "tensor 'w': its entry is not a JSON object")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w' has no dtype")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'w' has no shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "tensor 'w' has no data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "tensor 'w': shape holds '-1'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "tensor 'w': shape holds '1.5'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[3000000000],"data_offsets":[0,4]}}""", "tensor 'w': shape holds '3000000000'")]
    [InlineData("""{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", "tensor 'w': shape is not an array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "tensor 'w': data_offsets has 1 numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "'w' appears twice")]
    [InlineData("""{"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "metadata 'epoch' is a Number")]
    [InlineData("""{"__metadata__":[],"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "'__metadata__' is not a JSON object")]
    public void CorruptHeadersAreErrors(string header, string expected)
    {
        using var folder = new TempFolder();
        Assert.Contains(expected, LoadFails(folder, header, LittleEndian(1f)).Message);
    }

    [Fact]
    public void InvalidUtf8InTheHeaderIsAnError()
    {
        using var folder = new TempFolder();
        byte[] bytes = Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", LittleEndian(1f));
        bytes[8 + 2] = 0xff; // inside the name "w"
        Assert.Contains("not valid JSON", LoadFails(folder, bytes).Message);
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("F64")]
    [InlineData("I64")]
    public void OtherDtypesAreAClearError(string dtype)
    {
        using var folder = new TempFolder();
        var error = LoadFails(folder, $$$"""{"w":{"dtype":"{{{dtype}}}","shape":[1],"data_offsets":[0,4]}}""", LittleEndian(1f));
        Assert.Contains($"tensor 'w' has dtype {dtype}; only F32 is supported", error.Message);
    }

    [Fact]
    public void TruncatedFileIsAnErrorNamingTheTensor()
    {
        using var folder = new TempFolder();
        string path = folder.File("m.safetensors");
        SafeTensors.Save(path, [new("a", [2], [1f, 2f]), new("b", [2], [3f, 4f])]);
        byte[] bytes = File.ReadAllBytes(path);
        var error = LoadFails(folder, bytes[..^4]);
        Assert.Contains("tensor 'b'", error.Message);
        Assert.Contains("run past the data section, which holds 12 bytes", error.Message);

        // Cut inside the header: the header length now points beyond the file.
        Assert.Contains("follow it", LoadFails(folder, bytes[..20]).Message);
    }

    [Fact]
    public void OverlappingOffsetsAreAnError()
    {
        using var folder = new TempFolder();
        var error = LoadFails(folder, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", LittleEndian(1, 2, 3));
        Assert.Contains("tensor 'b': data_offsets [4, 12] overlap tensor 'a'", error.Message);

        var same = LoadFails(folder, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", LittleEndian(1));
        Assert.Contains("overlap", same.Message);
    }

    [Fact]
    public void GapsAndTrailingBytesAreErrors()
    {
        using var folder = new TempFolder();
        var gap = LoadFails(folder, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", LittleEndian(1, 2, 3));
        Assert.Contains("tensor 'b'", gap.Message);
        Assert.Contains("gap of 4 unexplained bytes after tensor 'a'", gap.Message);

        var leading = LoadFails(folder, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", LittleEndian(1, 2));
        Assert.Contains("gap of 4 unexplained bytes after the start of the data section", leading.Message);

        var trailing = LoadFails(folder, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", LittleEndian(1, 2));
        Assert.Contains("4 unexplained bytes after the last tensor 'a'", trailing.Message);
    }

    [Fact]
    public void ShapeAndOffsetSizeMismatchIsAnError()
    {
        using var folder = new TempFolder();
        var error = LoadFails(folder, """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", LittleEndian(1, 2));
        Assert.Contains("tensor 'w': shape (3) needs 12 bytes of F32 but data_offsets [0, 8] span 8", error.Message);

        var backwards = LoadFails(folder, """{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", LittleEndian(1, 2, 3));
        Assert.Contains("tensor 'w': data_offsets [8, 4] begins after it ends", backwards.Message);

        var overflow = LoadFails(folder, """{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}""", LittleEndian(1));
        Assert.Contains("tensor 'w'", overflow.Message);
    }

    /// <summary>A list whose indexer throws after a number of reads: a failure in the middle of a save.</summary>
    private sealed class FailingList(SafeTensor[] items, int failAfter) : IReadOnlyList<SafeTensor>
    {
        public int Reads { get; private set; }

        public int Count => items.Length;

        public SafeTensor this[int index] => ++Reads > failAfter ? throw new IOException("simulated failure") : items[index];

        public IEnumerator<SafeTensor> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
