using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace ModelGen.Tests.IO;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("modelgen-tests-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

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

/// <summary>Builds IDX files byte by byte, as the format describes them.</summary>
public static class IdxBytes
{
    public static byte[] Images(uint count, uint rows, uint columns, ReadOnlySpan<byte> pixels, uint magic = 0x00000803)
    {
        var bytes = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(12), columns);
        pixels.CopyTo(bytes.AsSpan(16));
        return bytes;
    }

    public static byte[] Labels(uint count, ReadOnlySpan<byte> labels, uint magic = 0x00000801)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), count);
        labels.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>Deterministic pixels: image i, pixel j holds (i * 31 + j * 7) mod 256.</summary>
    public static byte[] Pixels(int count, int perImage)
    {
        var pixels = new byte[count * perImage];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < perImage; j++) pixels[i * perImage + j] = (byte)((i * 31 + j * 7) % 256);
        }

        return pixels;
    }

    public static byte[] Gzip(ReadOnlySpan<byte> content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(content);
        return output.ToArray();
    }
}
