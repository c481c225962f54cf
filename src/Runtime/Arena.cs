using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelGen;

/// <summary>
/// One block of a model's memory (its parameters, their gradients, the optimizer state, the activations), allocated
/// once and pinned, that starts on a 64-byte boundary: a tensor at an offset that is a multiple of 16 floats then
/// starts on a cache line, so no 512-bit vector of it straddles two lines (a load that does costs two). A plain array
/// starts wherever the allocator put it, 8 bytes past a line more often than not.
/// </summary>
/// <typeparam name="T">The element type: <c>float</c>, or <c>double</c> for values kept in double.</typeparam>
public sealed class Arena<T> where T : unmanaged
{
    private const int Alignment = 64;

    private readonly T[] _array;
    private readonly int _start;

    /// <summary>Allocates an arena of <paramref name="length"/> zeroed elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public Arena(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int spare = Alignment / Unsafe.SizeOf<T>() - 1;
        _array = GC.AllocateArray<T>(length + spare, pinned: true);
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _start = (int)((Alignment - address % Alignment) % Alignment) / Unsafe.SizeOf<T>();
        Length = length;
    }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>Every element.</summary>
    public Span<T> Span => new(_array, _start, Length);

    /// <summary>Every element, for a holder that outlives a stack frame (a <see cref="Parameter"/>).</summary>
    public Memory<T> Memory => new(_array, _start, Length);

    /// <summary>The elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the arena.</exception>
    public Span<T> Slice(int start, int length) => Span.Slice(start, length);
}
