using System;

namespace ModelGen.Tests.Models;

/// <summary>The arenas a generated model keeps its tensors in: zeroed, the length asked for, starting on a cache line.</summary>
public sealed class ArenaTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(336_138)]
    public unsafe void StartsOnACacheLineZeroed(int length)
    {
        for (int attempt = 0; attempt < 20; attempt++) // allocations land at different addresses
        {
            var floats = new Arena<float>(length);
            var doubles = new Arena<double>(length);
            Assert.Equal(length, floats.Length);
            Assert.Equal(length, floats.Span.Length);
            Assert.Equal(length, doubles.Span.Length);
            fixed (float* f = floats.Span)
            fixed (double* d = doubles.Span)
            {
                Assert.Equal(0u, (uint)((nuint)f % 64));
                Assert.Equal(0u, (uint)((nuint)d % 64));
            }
            Assert.True(floats.Span.IndexOfAnyExcept(0f) < 0);
            Assert.True(doubles.Span.IndexOfAnyExcept(0d) < 0);
        }
    }

    [Fact]
    public void SlicesAndMemoryViewTheSameElements()
    {
        var arena = new Arena<float>(100);
        arena.Slice(10, 5).Fill(3f);
        Assert.Equal(3f, arena.Span[12]);
        Assert.Equal(3f, arena.Memory.Span[14]);
        Assert.Equal(0f, arena.Memory.Span[15]);
        Assert.Equal(100, arena.Memory.Length);
        Assert.Empty(new Arena<float>(0).Span.ToArray());
    }

    [Fact]
    public void OutOfRangeIsAnError()
    {
        var arena = new Arena<float>(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice(8, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice(-1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Arena<float>(-1));
    }
}
