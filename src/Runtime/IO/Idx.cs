using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen.IO;

/// <summary>A set of 8-bit grayscale images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> pixels.</summary>
public sealed class IdxImages
{
    /// <summary>Wraps <paramref name="pixels"/>, which holds <paramref name="count"/> row-major images back to back.</summary>
    /// <exception cref="ArgumentException">The pixel count is not <c>count × rows × columns</c>.</exception>
    public IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)count * rows * columns != pixels.LongLength)
        {
            throw new ArgumentException($"{count} images of {rows}×{columns} need {(long)count * rows * columns} pixels, not {pixels.Length}.", nameof(pixels));
        }

        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>The number of images.</summary>
    public int Count { get; }

    /// <summary>The height of each image in pixels.</summary>
    public int Rows { get; }

    /// <summary>The width of each image in pixels.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image, <c>Rows × Columns</c> (784 for MNIST).</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All pixels, 0 (background) to 255, image after image, each row-major. <c>(Count, Rows, Columns)</c></summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/>, row-major. <c>(Rows, Columns)</c></summary>
    public ReadOnlySpan<byte> GetImage(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>All pixels scaled to [0, 1] as <c>x / 255f</c>, flattened per image. <c>(Count, Rows × Columns)</c></summary>
    public float[] ToFloats()
    {
        var result = new float[Pixels.Length];
        ToFloats(result);
        return result;
    }

    /// <summary>Writes all pixels scaled to [0, 1] as <c>x / 255f</c> into <paramref name="destination"/>. <c>(Count, Rows × Columns)</c></summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Pixels"/>.</exception>
    public void ToFloats(Span<float> destination)
    {
        if (destination.Length < Pixels.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but the images have {Pixels.Length} pixels.", nameof(destination));
        }

        Idx.ScalePixels(Pixels, destination);
    }
}

/// <summary>Images and their class labels, of equal count, as <see cref="Idx.LoadPair"/> returns them.</summary>
/// <param name="Images">The images.</param>
/// <param name="Labels">One class per image, each below the class count the pair was loaded with.</param>
public sealed record IdxDataset(IdxImages Images, byte[] Labels)
{
    /// <summary>The number of examples.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// Reads the IDX files MNIST and Fashion-MNIST ship in (<c>train-images-idx3-ubyte</c> and the like), plain or
/// gzip-compressed; gzip is told by its magic bytes <c>1f 8b</c>, not by the file name. Every header is checked against
/// the file before anything it declares is allocated, so a corrupt or hostile header costs an error, not memory. Every
/// problem is an <see cref="InvalidDataException"/> whose message names the file and says what is wrong.
/// </summary>
/// <remarks>
/// Layout (all integers big-endian u32): magic <c>0x00000803</c>, count, rows, columns, then <c>count × rows × columns</c>
/// unsigned bytes for images; magic <c>0x00000801</c>, count, then <c>count</c> unsigned bytes for labels.
/// </remarks>
public static class Idx
{
    /// <summary>Magic number of an image file: unsigned bytes (<c>0x08</c>), three dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a label file: unsigned bytes (<c>0x08</c>), one dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    private const int ImagesHeaderBytes = 16;
    private const int LabelsHeaderBytes = 8;

    /// <summary>
    /// Gathers a batch: row i of <paramref name="destination"/> is row <c>rows[i]</c> of <paramref name="pixels"/>
    /// (rows of <paramref name="rowLength"/> bytes) scaled by <see cref="ScalePixels"/>. Split over the kernel threads
    /// (<see cref="KernelThreads.Count"/>); allocation-free.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the pixels, or rowLength is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than rows × rowLength.</exception>
    public static void GatherScaled(ReadOnlySpan<byte> pixels, int rowLength, ReadOnlySpan<int> rows, Span<float> destination)
        => GatherScaled(pixels, rowLength, rows, destination, default);

    /// <summary>
    /// <see cref="GatherScaled(ReadOnlySpan{byte}, int, ReadOnlySpan{int}, Span{float})"/>, and then
    /// <see cref="PrefetchRows"/> of <paramref name="nextRows"/> (the next batch), each kernel thread asking for its
    /// share of them after gathering its share of this batch: the same result, with the requests split over the
    /// threads instead of made by the caller alone. Rows of <paramref name="nextRows"/> outside the pixels are ignored.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the pixels, or rowLength is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than rows × rowLength.</exception>
    public static unsafe void GatherScaled(ReadOnlySpan<byte> pixels, int rowLength, ReadOnlySpan<int> rows, Span<float> destination, ReadOnlySpan<int> nextRows)
    {
        if (rowLength <= 0) throw new ArgumentOutOfRangeException(nameof(rowLength), rowLength, "rowLength must be positive.");
        if (destination.Length < (long)rows.Length * rowLength)
            throw new ArgumentException($"The destination holds {destination.Length} values for {rows.Length} rows of {rowLength}.", nameof(destination));
        int available = pixels.Length / rowLength;
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)available)
                throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"rows[{i}] = {rows[i]} is not a row of the {available} in pixels.");
        }
        if (rows.IsEmpty)
        {
            PrefetchRows(pixels, rowLength, nextRows);
            return;
        }
        fixed (byte* source = pixels)
        fixed (int* indices = rows, next = nextRows)
        fixed (float* target = destination)
        {
            var batch = new Gather
            {
                Source = source, Rows = indices, Target = target, RowLength = rowLength, Count = rows.Length,
                Available = available, NextRows = next, NextCount = nextRows.Length,
            };
            KernelThreads.For(rows.Length, &batch, &GatherRows, minimumPerThread: 8);
        }
    }

    /// <summary>
    /// Asks the processor to start bringing rows <paramref name="rows"/> of <paramref name="pixels"/> into its caches
    /// and returns at once: a trainer calls it with the next batch's rows before it trains on this one, so that the
    /// next gather finds them there (64 random MNIST images otherwise cost a cache miss or more each); the gather's
    /// overload with <c>nextRows</c> does the same, split over the kernel threads. A hint only: it changes no data,
    /// and rows outside the pixels are ignored.
    /// </summary>
    public static unsafe void PrefetchRows(ReadOnlySpan<byte> pixels, int rowLength, ReadOnlySpan<int> rows)
    {
        if (!Sse.IsSupported || rowLength <= 0) return;
        int available = pixels.Length / rowLength;
        fixed (byte* source = pixels)
        fixed (int* indices = rows)
        {
            RequestRows(source, rowLength, available, indices, 0, rows.Length);
        }
    }

    // Prefetches into L2 rows[begin .. end) of the pixels (`available` rows of rowLength bytes), skipping rows outside them.
    private static unsafe void RequestRows(byte* source, int rowLength, int available, int* rows, int begin, int end)
    {
        for (int i = begin; i < end; i++)
        {
            if ((uint)rows[i] >= (uint)available) continue;
            RequestLines(source + (nint)rows[i] * rowLength, rowLength, intoL1: false);
        }
    }

    // Prefetches every cache line of [start, start + length): into L1 (about to be read) or into L2 (read later).
    private static unsafe void RequestLines(byte* start, int length, bool intoL1)
    {
        byte* last = start + length - 1;
        for (byte* line = start; line <= last; line += 64)
        {
            if (intoL1) Sse.Prefetch0(line);
            else Sse.Prefetch1(line);
        }
        if (intoL1) Sse.Prefetch0(last);
        else Sse.Prefetch1(last);
    }

    private unsafe struct Gather
    {
        public byte* Source;
        public int* Rows;
        public float* Target;
        public int RowLength, Count, Available;
        public int* NextRows;
        public int NextCount;
    }

    // Rows [begin, end): every line of them is requested first, so their cache misses overlap instead of coming one
    // row after another (the lines PrefetchRows asked for are often back in L3 by now: a training step in between
    // streams megabytes through L2), then each is scaled. The trainer's gather of 64 random MNIST images, one thread,
    // in two runs each: 8.3-9.9 µs a step before, 6.4-9.2 µs with this.
    private static unsafe void GatherRows(void* state, int begin, int end)
    {
        var g = (Gather*)state;
        int n = g->RowLength;
        for (int i = begin; i < end && Sse.IsSupported; i++) RequestLines(g->Source + (nint)g->Rows[i] * n, n, intoL1: true);
        for (int i = begin; i < end; i++)
            ScalePixels(new ReadOnlySpan<byte>(g->Source + (nint)g->Rows[i] * n, n), new Span<float>(g->Target + (nint)i * n, n));
        // The same share of the next batch's rows: rows [begin, end) of Count ask for next rows [begin, end) of NextCount
        // scaled, so the parts together cover each next row once.
        if (g->NextCount > 0 && Sse.IsSupported)
            RequestRows(g->Source, n, g->Available, g->NextRows, (int)((long)begin * g->NextCount / g->Count), (int)((long)end * g->NextCount / g->Count));
    }

    /// <summary>
    /// destination[i] = pixels[i] / 255f, exactly as torchvision's <c>ToTensor()</c> scales 8-bit images to [0, 1]
    /// (a float division per value). Vectorised, allocation-free: a trainer can keep its images as bytes (a quarter of
    /// the memory, and a quarter of the cache a random batch drags in) and scale each batch as it copies it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="pixels"/>.</exception>
    public static void ScalePixels(ReadOnlySpan<byte> pixels, Span<float> destination)
    {
        if (destination.Length < pixels.Length)
            throw new ArgumentException($"The destination holds {destination.Length} values for {pixels.Length} pixels.", nameof(destination));
        int i = 0;
        ref byte source = ref MemoryMarshal.GetReference(pixels);
        ref float target = ref MemoryMarshal.GetReference(destination);
        // The division is what costs (a batch of 64 MNIST images is 50,176 of them), so the widest vectors go first.
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated && Widths.Limit is 0 or >= 512)
        {
            Vector512<float> scale = Vector512.Create(255f);
            for (; i + 16 <= pixels.Length; i += 16)
            {
                Vector512<int> values = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref source, (nuint)i));
                (Vector512.ConvertToSingle(values) / scale).StoreUnsafe(ref target, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && Widths.Limit is 0 or >= 256)
        {
            Vector256<float> scale = Vector256.Create(255f);
            for (; i + 16 <= pixels.Length; i += 16)
            {
                // 16 bytes widen to 16 ushorts (the lower half of a 256-bit vector holds them all), then to 2 × 8 uints.
                Vector256<ushort> words = Vector256.WidenLower(Vector128.LoadUnsafe(ref source, (nuint)i).ToVector256Unsafe());
                (Vector256<uint> a, Vector256<uint> b) = Vector256.Widen(words);
                (Vector256.ConvertToSingle(a.AsInt32()) / scale).StoreUnsafe(ref target, (nuint)i);
                (Vector256.ConvertToSingle(b.AsInt32()) / scale).StoreUnsafe(ref target, (nuint)i + 8);
            }
        }
        if (Vector128.IsHardwareAccelerated && Widths.Limit is 0 or >= 128)
        {
            Vector128<float> scale = Vector128.Create(255f);
            for (; i + 16 <= pixels.Length; i += 16)
            {
                (Vector128<ushort> low, Vector128<ushort> high) = Vector128.Widen(Vector128.LoadUnsafe(ref source, (nuint)i));
                (Vector128<uint> a, Vector128<uint> b) = Vector128.Widen(low);
                (Vector128<uint> c, Vector128<uint> d) = Vector128.Widen(high);
                (Vector128.ConvertToSingle(a.AsInt32()) / scale).StoreUnsafe(ref target, (nuint)i);
                (Vector128.ConvertToSingle(b.AsInt32()) / scale).StoreUnsafe(ref target, (nuint)i + 4);
                (Vector128.ConvertToSingle(c.AsInt32()) / scale).StoreUnsafe(ref target, (nuint)i + 8);
                (Vector128.ConvertToSingle(d.AsInt32()) / scale).StoreUnsafe(ref target, (nuint)i + 12);
            }
        }
        for (; i < pixels.Length; i++) destination[i] = pixels[i] / 255f;
    }

    // Deflate cannot expand by more than 1032:1 (a 258-byte match per 2 bits), so a gzip file of n bytes holds at most
    // about 1032 n bytes; a header that declares more is a lie that can be caught before reading any data.
    private const long MaxDeflateRatio = 1032;

    // Gzip data has no length up front, so the buffer grows (doubling, up to the declared size) only as data arrives.
    private const int FirstGzipChunk = 1 << 18;

    /// <summary>Reads an image file; its images must be <paramref name="rows"/> × <paramref name="columns"/> (MNIST's 28 × 28 by default).</summary>
    /// <exception cref="InvalidDataException">The file is not such an IDX image file, or it is truncated, too long or corrupt.</exception>
    public static IdxImages ReadImages(string path, int rows = 28, int columns = 28)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        using var source = IdxSource.Open(path);
        Span<byte> header = stackalloc byte[ImagesHeaderBytes];
        source.ReadHeader(header, ImagesMagic, "an IDX image file");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        uint fileRows = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        uint fileColumns = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
        if (fileRows != (uint)rows || fileColumns != (uint)columns)
        {
            throw Error(path, $"declares images of {fileRows}×{fileColumns} but {rows}×{columns} were expected");
        }

        UInt128 bytes = (UInt128)count * fileRows * fileColumns;
        byte[] pixels = source.ReadPayload(bytes, ImagesHeaderBytes, $"{count} images of {rows}×{columns}");
        return new IdxImages((int)count, rows, columns, pixels);
    }

    /// <summary>Reads a label file; every label must be below <paramref name="classCount"/> (10 by default).</summary>
    /// <exception cref="InvalidDataException">The file is not an IDX label file, is truncated, too long or corrupt, or holds a label out of range.</exception>
    public static byte[] ReadLabels(string path, int classCount = 10)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);
        using var source = IdxSource.Open(path);
        Span<byte> header = stackalloc byte[LabelsHeaderBytes];
        source.ReadHeader(header, LabelsMagic, "an IDX label file");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        byte[] labels = source.ReadPayload(count, LabelsHeaderBytes, $"{count} labels");
        if (classCount < 256)
        {
            int bad = labels.AsSpan().IndexOfAnyInRange((byte)classCount, byte.MaxValue);
            if (bad >= 0)
            {
                throw Error(path, $"label {labels[bad]} at index {bad} is outside 0..{classCount - 1}");
            }
        }

        return labels;
    }

    /// <summary>Reads an image file and its label file and checks that they hold the same number of examples.</summary>
    /// <exception cref="InvalidDataException">Either file is bad, or their counts differ.</exception>
    public static IdxDataset LoadPair(string imagesPath, string labelsPath, int rows = 28, int columns = 28, int classCount = 10)
    {
        // Labels first: the smaller file, so a mismatched pair fails before the big read when the labels are bad.
        byte[] labels = ReadLabels(labelsPath, classCount);
        IdxImages images = ReadImages(imagesPath, rows, columns);
        if (images.Count != labels.Length)
        {
            throw new InvalidDataException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels");
        }

        return new IdxDataset(images, labels);
    }

    /// <summary>A byte count as people read it: <c>47040016</c> is <c>47.0 MB</c>.</summary>
    internal static string FormatBytes(UInt128 bytes)
    {
        string[] units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
        if (bytes < 1000) return ((ulong)bytes).ToString(CultureInfo.InvariantCulture) + " bytes";
        double value = (double)bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static InvalidDataException Error(string path, string message, Exception? inner = null) => new($"{path}: {message}", inner);

    /// <summary>An open IDX file, plain or gzip, that knows how much data it can really hold.</summary>
    private sealed class IdxSource : IDisposable
    {
        private readonly string _path;
        private readonly FileStream _file;
        private readonly Stream _stream;
        private readonly bool _gzip;

        private IdxSource(string path, FileStream file, Stream stream, bool gzip)
        {
            _path = path;
            _file = file;
            _stream = stream;
            _gzip = gzip;
        }

        public static IdxSource Open(string path)
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
            try
            {
                Span<byte> magic = stackalloc byte[2];
                bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
                file.Position = 0;
                Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
                return new IdxSource(path, file, stream, gzip);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        public void ReadHeader(Span<byte> header, int expectedMagic, string kind)
        {
            int read = Read(header);
            if (read >= 4)
            {
                int magic = BinaryPrimitives.ReadInt32BigEndian(header);
                if (magic != expectedMagic)
                {
                    string hint = magic switch
                    {
                        ImagesMagic => " (this is an image file)",
                        LabelsMagic => " (this is a label file)",
                        _ => "",
                    };
                    throw Error(_path, $"is not {kind}: its magic number is 0x{magic:X8}, not 0x{expectedMagic:X8}{hint}");
                }
            }

            if (read < header.Length)
            {
                throw Error(_path, $"ends after {read} bytes{Decompressed}, inside the {header.Length}-byte header of {kind}");
            }
        }

        /// <summary>Reads exactly <paramref name="declared"/> bytes after a header of <paramref name="headerBytes"/>, and no more.</summary>
        public byte[] ReadPayload(UInt128 declared, int headerBytes, string what)
        {
            string claim = $"declares {what} ({FormatBytes(declared + (uint)headerBytes)} with the header)";
            long fileLength = _file.Length;
            if (!_gzip)
            {
                if (declared + (uint)headerBytes != (ulong)fileLength)
                {
                    string verdict = declared + (uint)headerBytes > (ulong)fileLength ? "truncated or a corrupt header" : "trailing data or a corrupt header";
                    throw Error(_path, $"{claim} but the file holds {fileLength} bytes ({verdict})");
                }
            }
            else if (declared + (uint)headerBytes > (UInt128)fileLength * MaxDeflateRatio)
            {
                throw Error(_path, $"{claim} but the gzip file is {fileLength} bytes, which decompress to at most {FormatBytes((UInt128)fileLength * MaxDeflateRatio)}");
            }

            if (declared > (ulong)Array.MaxLength)
            {
                throw Error(_path, $"{claim}, more than one array can hold");
            }

            int length = (int)declared;
            if (!_gzip)
            {
                var data = new byte[length];
                _file.ReadExactly(data);
                return data;
            }

            byte[] buffer = new byte[Math.Min(length, FirstGzipChunk)];
            int filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (filled == length) break;
                    Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
                }

                int read = Read(buffer.AsSpan(filled));
                if (read == 0)
                {
                    throw Error(_path, $"{claim} but decompresses to only {(long)filled + headerBytes} bytes (truncated)");
                }

                filled += read;
            }

            Span<byte> probe = stackalloc byte[1];
            if (Read(probe) != 0)
            {
                throw Error(_path, $"{claim} but decompresses to more than that (trailing data or a corrupt header)");
            }

            return buffer;
        }

        public void Dispose()
        {
            if (_gzip) _stream.Dispose();
            _file.Dispose();
        }

        private string Decompressed => _gzip ? " of decompressed data" : "";

        private int Read(Span<byte> buffer)
        {
            try
            {
                return _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e)
            {
                throw Error(_path, $"corrupt gzip data: {e.Message}", e);
            }
        }
    }
}
