using System;

namespace ModelGen.Tests;

/// <summary>
/// Measures what code allocates once it is warm. The runtime itself can allocate a few kilobytes on the test's thread
/// the first time tiered compilation swaps in optimised code (seen as a one-off 8 KB in a full parallel test run), so a
/// single measurement can blame the code under test for the runtime's work. Code that really allocates does so in
/// every round; the smallest of a few rounds is therefore what the code allocates by itself.
/// </summary>
internal static class SteadyState
{
    /// <summary>Bytes allocated on this thread by <paramref name="action"/>, the least over <paramref name="rounds"/> rounds.</summary>
    public static long AllocatedBytes(Action action, int rounds = 5)
    {
        long least = long.MaxValue;
        for (int round = 0; round < rounds && least > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
