using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ModelGen.IO;

/// <summary>One named float32 tensor: its shape, outermost dimension first, and its elements in row-major order.</summary>
/// <param name="Name">The tensor's key in the file, for example <c>body.layers.0.weight</c>.</param>
/// <param name="Shape">The shape; an empty shape is a scalar holding one element.</param>
/// <param name="Data">The elements; its length must equal the product of <paramref name="Shape"/>.</param>
public readonly record struct SafeTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// Reads and writes the <see href="https://github.com/huggingface/safetensors">safetensors</see> format for float32
/// tensors: an 8-byte little-endian header length <c>N</c>, <c>N</c> bytes of UTF-8 JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …, "__metadata__": {"k": "v"}}</c>,
/// padded with spaces to a multiple of 8), then the little-endian data, offsets counted from the start of the data.
/// Files written here load with <c>safetensors.torch.load_file</c>; files read here are checked as strictly as the
/// reference implementation checks them (tensors tile the data section exactly, no overlap, no gap, nothing after).
/// JSON goes through <see cref="Utf8JsonReader"/> and <see cref="Utf8JsonWriter"/> only, so the code is trim- and
/// NativeAOT-safe.
/// </summary>
public static class SafeTensors
{
    /// <summary>The key of the string-to-string metadata object in the header.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest JSON header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const int LengthPrefixBytes = sizeof(ulong);

    /// <summary>
    /// Writes <paramref name="tensors"/> in the given order, contiguously, after a header padded to 8 bytes, plus
    /// <paramref name="metadata"/>. Atomic: the bytes go to <c>&lt;path&gt;.tmp-&lt;random&gt;</c> in the same folder,
    /// are flushed to disk, and the temporary file is then renamed over <paramref name="path"/>; on any failure the
    /// temporary file is deleted and an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty, reserved or repeated, a dimension is negative, or a
    /// tensor's data length differs from the product of its shape.</exception>
    public static void Save(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata);

        string fullPath = System.IO.Path.GetFullPath(path);
        string temp = fullPath + ".tmp-" + System.IO.Path.GetRandomFileName();
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                for (int i = 0; i < tensors.Count; i++)
                {
                    SafeTensor tensor = tensors[i];
                    // The header already holds this tensor's byte range; a list that changed since would corrupt the file.
                    if (tensor.Data is null || tensor.Shape is null || tensor.Data.LongLength != ElementCount(tensor.Shape))
                    {
                        throw new InvalidOperationException($"Tensor '{tensor.Name}' changed while '{path}' was being written.");
                    }

                    WriteLittleEndian(stream, tensor.Data);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Reads and checks a whole file: every tensor must be <c>F32</c> with a byte range that matches its shape, and the
    /// tensors must tile the data section exactly.
    /// </summary>
    /// <exception cref="InvalidDataException">The file breaks the format; the message names the file and the tensor.</exception>
    public static SafeTensorsFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        long fileLength = stream.Length;
        if (fileLength < LengthPrefixBytes)
        {
            throw Error(path, $"the file holds {fileLength} bytes, fewer than the 8-byte header length");
        }

        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(fileLength - LengthPrefixBytes))
        {
            throw Error(path, $"the header length is {headerLength} bytes but only {fileLength - LengthPrefixBytes} bytes follow it (truncated file, or not safetensors)");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Error(path, $"the header length is {headerLength} bytes, more than the {MaxHeaderLength} allowed");
        }

        var header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - LengthPrefixBytes - (long)headerLength;

        var (entries, metadata) = ParseHeader(path, header);
        ValidateLayout(path, entries, dataLength);

        long dataStart = LengthPrefixBytes + (long)headerLength;
        var tensors = new Dictionary<string, (int[] Shape, float[] Data)>(entries.Count, StringComparer.Ordinal);
        var names = new string[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            Entry entry = entries[i];
            var data = new float[(entry.End - entry.Begin) / sizeof(float)];
            stream.Position = dataStart + entry.Begin;
            ReadLittleEndian(stream, data);
            tensors.Add(entry.Name, (entry.Shape, data));
            names[i] = entry.Name;
        }

        return new SafeTensorsFile(path, metadata, names, tensors);
    }

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        var text = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(shape[i]);
        }

        return text.Append(')').ToString();
    }

    private static byte[] BuildHeader(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>(256 + 96 * tensors.Count);
        // Relaxed escaping keeps names such as "layers.0.weight" readable; the header is never embedded in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(key, nameof(metadata));
                    json.WriteString(key, value ?? throw new ArgumentException($"Metadata value of '{key}' is null.", nameof(metadata)));
                }

                json.WriteEndObject();
            }

            long offset = 0;
            for (int i = 0; i < tensors.Count; i++)
            {
                SafeTensor tensor = tensors[i];
                if (string.IsNullOrEmpty(tensor.Name)) throw new ArgumentException($"Tensor {i} has no name.", nameof(tensors));
                if (tensor.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
                if (!seen.Add(tensor.Name)) throw new ArgumentException($"Tensor '{tensor.Name}' appears twice.", nameof(tensors));
                if (tensor.Shape is null) throw new ArgumentException($"Tensor '{tensor.Name}' has no shape.", nameof(tensors));
                if (tensor.Data is null) throw new ArgumentException($"Tensor '{tensor.Name}' has no data.", nameof(tensors));
                foreach (int d in tensor.Shape)
                {
                    if (d < 0) throw new ArgumentException($"Tensor '{tensor.Name}' has a negative dimension in shape {FormatShape(tensor.Shape)}.", nameof(tensors));
                }

                long count = ElementCount(tensor.Shape);
                if (tensor.Data.LongLength != count)
                {
                    throw new ArgumentException($"Tensor '{tensor.Name}' has shape {FormatShape(tensor.Shape)} ({count} elements) but {tensor.Data.Length} values.", nameof(tensors));
                }

                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += count * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data starts 8-byte aligned (8-byte length prefix + a multiple of 8).
        int padded = (buffer.WrittenCount + 7) & ~7;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header)
    {
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Error(path, "the header is not a JSON object");
            }

            while (true)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.EndObject) break;
                current = reader.GetString()!;
                if (!names.Add(current)) throw Error(path, $"'{current}' appears twice in the header");
                reader.Read();
                if (current == MetadataKey)
                {
                    ReadMetadata(path, ref reader, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(path, current, ref reader));
                }

                current = null;
            }

            if (reader.Read())
            {
                throw Error(path, "the header has data after its JSON object");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            string where = current is null ? "" : $" (in the entry of tensor '{current}')";
            throw new InvalidDataException($"{path}: the header is not valid JSON{where}: {e.Message}", e);
        }

        return (entries, metadata);
    }

    private static void ReadMetadata(string path, ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Error(path, $"'{MetadataKey}' is not a JSON object");
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject) return;
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Error(path, $"metadata '{key}' is a {reader.TokenType} but safetensors metadata values are strings");
            }

            if (!metadata.TryAdd(key, reader.GetString()!)) throw Error(path, $"metadata '{key}' appears twice");
        }
    }

    private static Entry ReadEntry(string path, string name, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Error(path, $"tensor '{name}': its entry is not a JSON object");
        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String) throw Error(path, $"tensor '{name}': dtype is not a string");
                    dtype = reader.GetString();
                    break;
                case "shape":
                    shape = Array.ConvertAll(ReadIntegers(path, name, "shape", ref reader, int.MaxValue), static d => (int)d);
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(path, name, "data_offsets", ref reader, long.MaxValue);
                    break;
                default:
                    reader.Skip(); // unknown keys are ignored, as the reference implementation does
                    break;
            }
        }

        if (dtype is null) throw Error(path, $"tensor '{name}' has no dtype");
        if (shape is null) throw Error(path, $"tensor '{name}' has no shape");
        if (offsets is null) throw Error(path, $"tensor '{name}' has no data_offsets");
        if (dtype != "F32") throw Error(path, $"tensor '{name}' has dtype {dtype}; only F32 is supported");
        if (offsets.Length != 2) throw Error(path, $"tensor '{name}': data_offsets has {offsets.Length} numbers, not 2 ([begin, end])");
        return new Entry(name, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(string path, string name, string field, ref Utf8JsonReader reader, long max)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw Error(path, $"tensor '{name}': {field} is not an array");
        var values = new List<long>(4);
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray) return values.ToArray();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0 || value > max)
            {
                string text = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                throw Error(path, $"tensor '{name}': {field} holds '{text}', which is not an integer in 0..{max}");
            }

            values.Add(value);
        }
    }

    private static void ValidateLayout(string path, List<Entry> entries, long dataLength)
    {
        foreach (Entry entry in entries)
        {
            if (entry.Begin > entry.End)
            {
                throw Error(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] begins after it ends");
            }

            if (entry.End > dataLength)
            {
                throw Error(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] run past the data section, which holds {dataLength} bytes (truncated file?)");
            }

            long bytes;
            try
            {
                bytes = checked(ElementCount(entry.Shape) * sizeof(float));
            }
            catch (OverflowException)
            {
                throw Error(path, $"tensor '{entry.Name}': shape {FormatShape(entry.Shape)} has more elements than a file can hold");
            }

            if (bytes != entry.End - entry.Begin)
            {
                throw Error(path, $"tensor '{entry.Name}': shape {FormatShape(entry.Shape)} needs {bytes} bytes of F32 but data_offsets [{entry.Begin}, {entry.End}] span {entry.End - entry.Begin}");
            }

            if (bytes / sizeof(float) > Array.MaxLength)
            {
                throw Error(path, $"tensor '{entry.Name}': shape {FormatShape(entry.Shape)} has more elements than one array can hold");
            }
        }

        // Ties (empty tensors) are ordered by name so Names is deterministic.
        entries.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End != b.End ? a.End.CompareTo(b.End) : string.CompareOrdinal(a.Name, b.Name));
        long covered = 0;
        string? previous = null;
        foreach (Entry entry in entries)
        {
            if (entry.Begin < covered)
            {
                throw Error(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous}', which ends at {covered}");
            }

            if (entry.Begin > covered)
            {
                string after = previous is null ? "the start of the data section" : $"tensor '{previous}'";
                throw Error(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] leave a gap of {entry.Begin - covered} unexplained bytes after {after}");
            }

            covered = entry.End;
            previous = entry.Name;
        }

        if (covered != dataLength)
        {
            string after = previous is null ? "the header (the file declares no tensors)" : $"the last tensor '{previous}'";
            throw Error(path, $"the data section holds {dataLength - covered} unexplained bytes after {after}");
        }
    }

    private static long ElementCount(int[] shape)
    {
        long count = 1;
        foreach (int d in shape) count = checked(count * d);
        return count;
    }

    private static void WriteLittleEndian(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }

        Span<int> chunk = stackalloc int[1024];
        for (int i = 0; i < data.Length; i += chunk.Length)
        {
            int n = Math.Min(chunk.Length, data.Length - i);
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data.AsSpan(i, n)), chunk[..n]);
            stream.Write(MemoryMarshal.AsBytes(chunk[..n]));
        }
    }

    private static void ReadLittleEndian(Stream stream, float[] data)
    {
        Span<int> values = MemoryMarshal.Cast<float, int>(data.AsSpan());
        stream.ReadExactly(MemoryMarshal.AsBytes(values));
        if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(values, values);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static InvalidDataException Error(string path, string message) => new($"{path}: {message}");

    private sealed record Entry(string Name, int[] Shape, long Begin, long End);
}

/// <summary>
/// A safetensors file read and checked by <see cref="SafeTensors.Load"/>: its metadata and its float32 tensors, held
/// in memory (the file is closed).
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, (int[] Shape, float[] Data)> _tensors;

    internal SafeTensorsFile(string path, Dictionary<string, string> metadata, string[] names, Dictionary<string, (int[] Shape, float[] Data)> tensors)
    {
        Path = path;
        Metadata = metadata;
        Names = names;
        _tensors = tensors;
    }

    /// <summary>The path the file was loaded from, as given to <see cref="SafeTensors.Load"/>.</summary>
    public string Path { get; }

    /// <summary>The <c>__metadata__</c> strings; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names in the order of their data in the file.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The shape of tensor <paramref name="name"/>, outermost dimension first.</summary>
    /// <exception cref="InvalidDataException">The file has no such tensor; the message names it and the file.</exception>
    public IReadOnlyList<int> GetShape(string name) => Find(name).Shape;

    /// <summary>A copy of the elements of tensor <paramref name="name"/>, row-major.</summary>
    /// <exception cref="InvalidDataException">The file has no such tensor; the message names it and the file.</exception>
    public float[] Get(string name) => (float[])Find(name).Data.Clone();

    /// <summary>
    /// Copies tensor <paramref name="name"/> into <paramref name="destination"/> after checking that it exists and that
    /// its shape equals <paramref name="expectedShape"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has no such tensor, or its shape differs; the message names the
    /// tensor, both shapes and the file.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the tensor.</exception>
    public void CopyTo(string name, ReadOnlySpan<int> expectedShape, Span<float> destination)
    {
        var (shape, data) = Find(name);
        if (!expectedShape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"{Path}: tensor '{name}' has shape {SafeTensors.FormatShape(shape)} but {SafeTensors.FormatShape(expectedShape)} was expected");
        }

        if (destination.Length < data.Length)
        {
            throw new ArgumentException($"Tensor '{name}' has {data.Length} elements but the destination holds {destination.Length}.", nameof(destination));
        }

        data.CopyTo(destination);
    }

    private (int[] Shape, float[] Data) Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new InvalidDataException($"{Path}: no tensor named '{name}' (the file holds {Names.Count}: {Preview(Names)})");
    }

    private static string Preview(IReadOnlyList<string> names)
    {
        const int Shown = 8;
        var text = new StringBuilder();
        for (int i = 0; i < names.Count && i < Shown; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(names[i]);
        }

        if (names.Count > Shown) text.Append(", …");
        return text.ToString();
    }
}
