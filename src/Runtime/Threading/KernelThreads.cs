using System;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
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
    /// chunks of at least <paramref name="minimumPerThread"/> items, and returns when every chunk is done. Thread t (the
    /// caller is thread 0) starts on the t-th contiguous share of the chunks and then claims what is left of the
    /// others' shares, so a kernel split by rows finds in its own core's caches the rows the kernel before it wrote,
    /// and a worker the operating system has descheduled holds up at most the chunk it took. Runs everything on the
    /// calling thread when one thread is configured, when there are fewer than 2 × <paramref name="minimumPerThread"/>
    /// items, or when the workers serve another caller.
    /// The body must give each item the same result whichever thread runs it and however the items are chunked.
    /// </summary>
    internal static unsafe void For(int count, void* state, delegate*<void*, int, int, void> body, int minimumPerThread = 1)
    {
        int most = count / Math.Max(1, minimumPerThread);
        int threads = Math.Min(s_count, most);
        WorkerPool? pool = s_pool;
        // Up to four chunks per thread, and a whole number of them per thread, so a small job still splits evenly.
        if (threads < 2 || pool is null || !pool.TryRun(threads, threads * Math.Min(most / threads, 4), count, state, body))
            body(state, 0, count);
    }

    /// <summary>The fewest rows a block of <see cref="ForRowBlocks"/> holds: a vector of rows at any width, which keeps every product on its batch path.</summary>
    public const int RowBlockMinimum = 16;

    /// <summary>
    /// Runs <paramref name="body"/>(<paramref name="state"/>, first, count) over a batch of <paramref name="rows"/> rows
    /// split into blocks, one per thread, in one parallel region: for a run of row-wise layers (a product, a norm, an
    /// activation, each row's outputs computed from that row alone), each thread takes its block of rows through every
    /// layer of the run, instead of the threads meeting after each layer. The kernels the body calls run on the thread
    /// that calls them (the workers are taken), over its block. Blocks are multiples of <see cref="RowBlockMinimum"/>
    /// rows except the last, which takes the rest, and never fewer than that many rows, so every kernel takes the path
    /// it takes for the whole batch and the results are the same bit for bit; fewer than 2 × RowBlockMinimum rows, or
    /// one thread, make one block, run on the calling thread.
    /// </summary>
    /// <param name="rows">The batch's rows.</param>
    /// <param name="state">Passed to <paramref name="body"/>: the model, for a static lambda that calls its method (no allocation per call).</param>
    /// <param name="body">Runs rows [first, first + count).</param>
    public static unsafe void ForRowBlocks<TState>(int rows, TState state, Action<TState, int, int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentNullException.ThrowIfNull(body);
        int blocks = Math.Min(s_count, rows / RowBlockMinimum);
        if (blocks < 2)
        {
            body(state, 0, rows);
            return;
        }
        var job = new RowBlocksJob<TState> { State = state, Body = body, Rows = rows, Blocks = blocks };
        For(blocks, Unsafe.AsPointer(ref job), &RunRowBlocks<TState>, minimumPerThread: 1);
    }

    private struct RowBlocksJob<TState>
    {
        public TState State;
        public Action<TState, int, int> Body;
        public int Rows, Blocks;
    }

    // Blocks [begin, end): block b is the b-th share of the batch's 16-row units, and the last runs to the last row.
    private static unsafe void RunRowBlocks<TState>(void* state, int begin, int end)
    {
        ref RowBlocksJob<TState> job = ref Unsafe.AsRef<RowBlocksJob<TState>>(state);
        int units = job.Rows / RowBlockMinimum;
        for (int b = begin; b < end; b++)
        {
            (int first, int stop) = Chunk(units, b, job.Blocks);
            first *= RowBlockMinimum;
            stop = b == job.Blocks - 1 ? job.Rows : stop * RowBlockMinimum;
            job.Body(job.State, first, stop - first);
        }
    }

    /// <summary>
    /// How many chunks of <paramref name="chunkSize"/> values <paramref name="length"/> values make when the last chunk
    /// takes the remainder (so no chunk is shorter than chunkSize unless the whole is): at least one.
    /// </summary>
    internal static int ChunkCount(int length, int chunkSize) => Math.Max(1, length / chunkSize);

    /// <summary>The values [start, stop) of chunks [begin, end) of <see cref="ChunkCount"/>; the last chunk runs to <paramref name="length"/>.</summary>
    internal static (int Start, int Stop) ChunkValues(int length, int chunkSize, int begin, int end)
        => (begin * chunkSize, end == ChunkCount(length, chunkSize) ? length : end * chunkSize);

    /// <summary>The chunk [begin, end) of <paramref name="count"/> items that part <paramref name="part"/> of <paramref name="parts"/> takes.</summary>
    internal static (int Begin, int End) Chunk(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));
}

/// <summary>
/// Persistent worker threads for <see cref="KernelThreads.For"/>. A job's chunks are split into one contiguous share per
/// thread: the caller takes the first, worker i the (i + 1)-th. Each share has its own claim word (the job's generation
/// in the high half, the next chunk to claim in the low half) and its own count of finished chunks, alone in a block
/// of 128 bytes, so a thread claims and finishes the chunks of its own share without touching a line another core
/// uses. A thread that is done with its share goes on to claim what is left of the others', so a worker the operating
/// system has descheduled holds up at most the chunk it took. Since thread t takes share t of every job, a row-wise
/// kernel that follows another finds the rows it reads in its own core's caches. Workers spin on the generation for a
/// while (during training a kernel call follows the last one within microseconds) and then sleep, each on its own
/// semaphore; the caller wakes the sleepers its job needs, runs its share, and waits until every share's chunks are
/// finished. A claim succeeds only for the current generation, and a job cannot finish while a claimed chunk runs, so
/// the job's fields, read after a successful claim, are the ones that claim belongs to.
/// </summary>
/// <remarks>
/// Against one shared claim word, a parallel region of 8 chunks that the worker joins cost about 1.2 µs more than half
/// its one-thread time, from the claims and completions going back and forth between the two cores.
/// </remarks>
internal sealed unsafe class WorkerPool
{
    private const int SpinIterations = 20_000; // about 0.1-0.5 ms of pause instructions before a worker sleeps
    private const int ShareBytes = 128;        // a block: two cache lines, as the adjacent-line prefetcher pairs them

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;   // one per worker, so a wake-up can only be taken by the worker it is for
    private readonly int[] _sleeping;         // 1 while worker i is blocked (or about to block) on _wake[i]
    private readonly byte[] _blockMemory;     // pinned; holds the blocks below, each on lines of its own
    private readonly Blocks _blocks;
    private int _busy;                        // 1 while a caller owns the workers
    private Exception? _failure;

    // What the workers read lies in 128-byte blocks of _blockMemory, apart from the pool object's fields, which the
    // caller writes on every job (_busy, _failure): the control block (the generation the workers spin on, and the job)
    // and one block per share. A worker spinning on the generation keeps a copy of its line; when the job's fields
    // shared a line with fields the caller writes on every job (as fields of this object did), each of those stores
    // first took the line back from the worker's core. The workers take the blocks' addresses once, when they start.
    // A region of 8 small chunks on two threads (0.57 µs of work a thread; a throwaway loop of 100,000 regions, twelve
    // rounds each): a median of 0.99 µs with the job among the object's fields, 0.90-0.93 with the generation and the
    // job in two blocks of their own, 0.86-0.88 with both in one.
    private readonly struct Blocks(Control* control, Share* shares)
    {
        public readonly Control* Control = control;
        public readonly Share* Shares = shares;   // share 0 is the caller's, share i + 1 worker i's

        public Share* ShareOf(int thread) => (Share*)((byte*)Shares + (nint)thread * ShareBytes);
    }

    /// <summary>
    /// What the workers spin on, the current job's generation (wrapping around) and whether the pool is retired, and on
    /// the same line the job itself, which the caller writes just before it publishes the generation: a worker that
    /// sees the new generation has the job's fields in the same transfer. Helpers is how many workers may join.
    /// </summary>
    private struct Control
    {
        public int Generation;
        public int Retired;
        public int Chunks, Count, WidthLimit, Helpers;
        public void* State;
        public delegate*<void*, int, int, void> Body;
    }

    /// <summary>One thread's share of a job's chunks: [Begin, End), of which the claim word says which is next.</summary>
    private struct Share
    {
        public long Claims;   // generation << 32 | the next chunk to claim (see ClaimWord)
        public int Begin, End;
        public int Finished;  // chunks of the share that have run
    }

    /// <param name="workers">The worker threads to start.</param>
    /// <param name="firstGeneration">The generation before the first job (a test starts it near the wrap-around).</param>
    public WorkerPool(int workers, int firstGeneration = 0)
    {
        _threads = new Thread[workers];
        _wake = new SemaphoreSlim[workers];
        _sleeping = new int[workers];
        // The control block, then the shares' blocks, from the first 128-byte boundary on.
        _blockMemory = GC.AllocateArray<byte>(ShareBytes * (workers + 3), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_blockMemory));
        byte* first = (byte*)((start + ShareBytes - 1) & ~(nint)(ShareBytes - 1));
        _blocks = new Blocks((Control*)first, (Share*)(first + ShareBytes));
        _blocks.Control->Generation = firstGeneration;
        for (int i = 0; i < workers; i++) _wake[i] = new SemaphoreSlim(0);
        for (int i = 0; i < workers; i++)
        {
            int slot = i;
            Blocks blocks = _blocks;
            _threads[i] = new Thread(() => Work(slot, firstGeneration, blocks)) { IsBackground = true, Name = $"ModelGen kernel worker {slot + 1}" };
            _threads[i].Start();
        }
    }

    public int Workers => _threads.Length;

    // A share's claim word: the generation in the high half, the next chunk in the low half. The generation wraps
    // around after 2^32 jobs (some 20 hours of training at 60,000 parallel regions a second), so it is compared as
    // the int it is, never as a growing number.
    private static long ClaimWord(int generation, int chunk) => (long)generation << 32 | (uint)chunk;

    /// <summary>Asks the workers to exit; a retired pool takes no new jobs (a job already running finishes on its caller).</summary>
    public void Retire()
    {
        Volatile.Write(ref _blocks.Control->Retired, 1);
        foreach (var wake in _wake) wake.Release();
    }

    public bool TryRun(int threads, int chunks, int count, void* state, delegate*<void*, int, int, void> body)
    {
        Blocks blocks = _blocks;
        if (Volatile.Read(ref blocks.Control->Retired) != 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            Control* control = blocks.Control;
            control->Chunks = chunks;
            control->Count = count;
            control->State = state;
            control->Body = body;
            control->WidthLimit = Widths.Limit;
            int helpers = Math.Min(threads - 1, _threads.Length);
            control->Helpers = helpers;
            _failure = null;
            int shares = helpers + 1;
            int generation = unchecked(control->Generation + 1);
            for (int t = 0; t < shares; t++)
            {
                Share* share = blocks.ShareOf(t);
                // First mark the share exhausted for the new generation, so that a worker still looking at the last
                // job's claim word fails its claim rather than pairing that word with the new bounds.
                Volatile.Write(ref share->Claims, ClaimWord(generation, int.MaxValue));
                (share->Begin, share->End) = KernelThreads.Chunk(chunks, t, shares);
                share->Finished = 0;
                Volatile.Write(ref share->Claims, ClaimWord(generation, share->Begin));
            }
            Interlocked.Exchange(ref control->Generation, generation);
            for (int i = 0; i < helpers; i++)
            {
                if (Interlocked.Exchange(ref _sleeping[i], 0) == 1) _wake[i].Release();
            }

            Help(blocks, generation, 0, shares);
            for (int t = 0; t < shares; t++)
            {
                Share* share = blocks.ShareOf(t);
                var spin = new SpinWait();
                while (Volatile.Read(ref share->Finished) != share->End - share->Begin) spin.SpinOnce(sleep1Threshold: -1);
            }
            if (_failure is { } failure) ExceptionDispatchInfo.Throw(failure);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    // Claims and runs the chunks of job `generation` left in share `own`, then in the shares after it, until none is
    // left (or the job is no longer current).
    private void Help(Blocks blocks, int generation, int own, int shares)
    {
        Control* control = blocks.Control;
        for (int k = 0; k < shares; k++)
        {
            Share* share = blocks.ShareOf((own + k) % shares);
            while (true)
            {
                long claims = Volatile.Read(ref share->Claims);
                if ((int)(claims >> 32) != generation) return;
                int chunk = (int)(uint)claims;
                if (chunk >= share->End) break;
                if (Interlocked.CompareExchange(ref share->Claims, claims + 1, claims) != claims) continue;

                Widths.Limit = control->WidthLimit;
                try
                {
                    (int begin, int end) = KernelThreads.Chunk(control->Count, chunk, control->Chunks);
                    control->Body(control->State, begin, end);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
                Interlocked.Increment(ref share->Finished);
            }
        }
    }

    // Worker `slot` waits on _wake[slot]. If it finds a new job after saying it sleeps, a caller may already have
    // released its semaphore: the extra permit only makes a later wait return early, and the loop then looks again.
    private void Work(int slot, int firstGeneration, Blocks blocks)
    {
        Control* control = blocks.Control;
        int seen = firstGeneration; // the pool's: a job published before this thread got here still counts
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref control->Generation) == seen && Volatile.Read(ref control->Retired) == 0)
            {
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(1);
                    continue;
                }
                Interlocked.Exchange(ref _sleeping[slot], 1);
                if (Volatile.Read(ref control->Generation) == seen && Volatile.Read(ref control->Retired) == 0) _wake[slot].Wait();
                Interlocked.Exchange(ref _sleeping[slot], 0);
                spins = 0;
            }
            if (Volatile.Read(ref control->Retired) != 0) return;
            seen = Volatile.Read(ref control->Generation);
            // Workers beyond the job's thread count stay out (they may be awake from an earlier, larger count).
            int helpers = Volatile.Read(ref control->Helpers);
            if (slot < helpers) Help(blocks, seen, slot + 1, helpers + 1);
        }
    }
}
