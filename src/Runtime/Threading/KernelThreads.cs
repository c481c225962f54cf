using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ModelGen;

/// <summary>
/// How many threads the kernels use, for the whole process (as <c>torch.set_num_threads</c>). The default is 1.
/// </summary>
/// <remarks>
/// Every kernel splits its work so that each output is computed by exactly one thread with the same operations in
/// the same order as on one thread: results are bit-identical for every thread count. The threads are created once
/// and kept; between calls they spin briefly and then sleep, so an idle model costs no CPU. A kernel called while
/// another thread's kernel holds the workers runs on its calling thread alone (same results, no waiting).
/// </remarks>
public static class KernelThreads
{
    private static WorkerPool? s_pool;
    private static int s_count = 1;

    /// <summary>The number of threads kernels run on, the calling thread included: 1 to 256.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above 256.</exception>
    public static int Count
    {
        get => s_count;
        set
        {
            if (value is < 1 or > 256)
                throw new ArgumentOutOfRangeException(nameof(value), value, "KernelThreads.Count must be between 1 and 256.");
            lock (typeof(KernelThreads))
            {
                if (value > 1 && (s_pool is null || s_pool.Workers < value - 1))
                {
                    var grown = new WorkerPool(value - 1);
                    s_pool?.Retire();
                    s_pool = grown;
                }
                s_count = value;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(state, begin, end) over [0, <paramref name="count"/>) split into contiguous
    /// chunks, one per thread, the calling thread taking the first. Returns when every chunk is done. Runs everything
    /// on the calling thread when one thread is configured, when there are fewer than 2 ×
    /// <paramref name="minimumPerThread"/> items, or when the workers are busy with another caller.
    /// </summary>
    internal static unsafe void For(int count, void* state, delegate*<void*, int, int, void> body, int minimumPerThread = 1)
    {
        int threads = Math.Min(s_count, count / Math.Max(1, minimumPerThread));
        WorkerPool? pool = s_pool;
        if (threads < 2 || pool is null || !pool.TryRun(threads, count, state, body))
            body(state, 0, count);
    }

    /// <summary>The chunk [begin, end) of <paramref name="count"/> items that part <paramref name="part"/> of <paramref name="parts"/> takes.</summary>
    internal static (int Begin, int End) Chunk(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));
}

/// <summary>
/// Persistent worker threads for <see cref="KernelThreads.For"/>. A call publishes the job by bumping a generation
/// counter; workers spin on it for a while (a kernel call follows the last one within microseconds during training)
/// and then sleep, each on its own semaphore. The caller wakes the sleepers its job needs, runs the first chunk and
/// spins until the others are done.
/// </summary>
internal sealed unsafe class WorkerPool
{
    private const int SpinIterations = 20_000; // about 0.1-0.5 ms of pause instructions before a worker sleeps

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;   // one per worker, so a wake-up can only be taken by the worker it is for
    private readonly int[] _sleeping;         // 1 while worker i is blocked (or about to block) on _wake[i]
    private int _busy;                        // 1 while a caller owns the workers
    private int _generation;                  // bumped once per job
    private int _pending;                     // chunks not yet finished by workers
    private volatile bool _retired;

    // The current job; written by the caller before the generation bump, read by workers after it.
    private int _parts, _count, _widthLimit;
    private void* _state;
    private delegate*<void*, int, int, void> _body;
    private Exception? _failure;

    public WorkerPool(int workers)
    {
        _threads = new Thread[workers];
        _wake = new SemaphoreSlim[workers];
        _sleeping = new int[workers];
        for (int i = 0; i < workers; i++) _wake[i] = new SemaphoreSlim(0);
        for (int i = 0; i < workers; i++)
        {
            int index = i + 1; // chunk 0 is the caller's
            _threads[i] = new Thread(() => Work(index)) { IsBackground = true, Name = $"ModelGen kernel worker {index}" };
            _threads[i].Start();
        }
    }

    public int Workers => _threads.Length;

    /// <summary>Asks the workers to exit after their current job; a retired pool takes no new jobs.</summary>
    public void Retire()
    {
        _retired = true;
        Interlocked.Increment(ref _generation);
        foreach (var wake in _wake) wake.Release();
    }

    public bool TryRun(int parts, int count, void* state, delegate*<void*, int, int, void> body)
    {
        if (_retired || Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            parts = Math.Min(parts, _threads.Length + 1);
            _parts = parts;
            _count = count;
            _state = state;
            _body = body;
            _widthLimit = Widths.Limit;
            _failure = null;
            Volatile.Write(ref _pending, parts - 1);
            Interlocked.Increment(ref _generation);
            for (int i = 0; i < parts - 1; i++)
            {
                if (Interlocked.Exchange(ref _sleeping[i], 0) == 1) _wake[i].Release();
            }

            (int begin, int end) = KernelThreads.Chunk(count, 0, parts);
            body(state, begin, end);

            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            if (_failure is { } failure) ExceptionDispatchInfo.Throw(failure);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    // Worker `index` (1-based: chunk 0 is the caller's) waits on _wake[index − 1]. If it finds a new job after saying
    // it sleeps, a caller may already have released its semaphore: the extra permit only makes a later wait return
    // early, and the loop then checks the generation again.
    private void Work(int index)
    {
        int slot = index - 1;
        int seen = 0; // the generation the pool was created with: a job published before this thread got here still counts
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen)
            {
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(1);
                    continue;
                }
                Interlocked.Exchange(ref _sleeping[slot], 1);
                if (Volatile.Read(ref _generation) == seen) _wake[slot].Wait();
                Interlocked.Exchange(ref _sleeping[slot], 0);
                spins = 0;
            }
            seen = Volatile.Read(ref _generation);
            if (_retired) return;
            if (index >= _parts) continue; // this job needs fewer threads

            Widths.Limit = _widthLimit;
            try
            {
                (int begin, int end) = KernelThreads.Chunk(_count, index, _parts);
                _body(_state, begin, end);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Decrement(ref _pending);
        }
    }
}
