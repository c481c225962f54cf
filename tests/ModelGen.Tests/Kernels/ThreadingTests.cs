using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using ModelGen.Tests.Models;

namespace ModelGen.Tests.Kernels;

/// <summary>Tests that change <see cref="KernelThreads.Count"/>, a process-wide setting: they run with no other test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelThreadsCollection
{
    public const string Name = "KernelThreads";
}

/// <summary>
/// Every kernel that splits its work over threads gives bit-identical results on 1, 2 and 3 threads, at every width,
/// over shapes with edges everywhere; so does a whole training run of the MNIST classifier.
/// </summary>
[Collection(KernelThreadsCollection.Name)]
public sealed class ThreadingTests
{
    private static readonly (int Rows, int In, int Out)[] s_shapes =
    [
        (64, 784, 256), (64, 256, 256), (64, 256, 10), (17, 33, 65), (130, 18, 7), (3, 40, 70), (1, 784, 256), (40, 100, 200), (48, 64, 512), (35, 784, 192),
    ];

    /// <summary>Runs <paramref name="body"/>, which may set <see cref="KernelThreads.Count"/>, and puts the count back.</summary>
    private static void KeepingThreadCount(Action body)
    {
        int saved = KernelThreads.Count;
        try
        {
            body();
        }
        finally
        {
            KernelThreads.Count = saved;
        }
    }

    /// <summary>Runs <paramref name="compute"/> on 1, 2 and 3 threads and asserts the three results are bit-identical.</summary>
    private static void SameOnEveryThreadCount(string what, Func<float[]> compute)
    {
        KeepingThreadCount(() =>
        {
            KernelThreads.Count = 1;
            float[] one = compute();
            foreach (int threads in new[] { 2, 3 })
            {
                KernelThreads.Count = threads;
                float[] many = compute();
                int differ = Enumerable.Range(0, one.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]), -1);
                Assert.True(differ < 0, $"{what}: value {differ} differs on {threads} threads ({(differ < 0 ? 0 : many[differ]):R} vs {(differ < 0 ? 0 : one[differ]):R} on one)");
            }
        });
    }

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void LinearProductsAreIdenticalOnEveryThreadCount(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] x = Reference.Normal(rows * k, 1), w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3), dy = Reference.Normal(rows * n, 4);
            string shape = $"{rows}×{k}×{n} at width {width}";
            SameOnEveryThreadCount($"forward {shape}", () =>
            {
                var y = new float[rows * n];
                ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n);
                return y;
            });
            SameOnEveryThreadCount($"dx {shape}", () =>
            {
                var dx = new float[rows * k];
                ModelGen.Kernels.LinearBackwardInput(dx, dy, w, rows, k, n);
                return dx;
            });
            double[] derivative = LinearTests.GeluDerivative(rows * k);
            SameOnEveryThreadCount($"dx through GELU {shape}", () =>
            {
                var dx = new float[rows * k];
                ModelGen.Kernels.LinearBackwardInputThroughGelu(dx, dy, w, derivative, rows, k, n);
                return dx;
            });
            SameOnEveryThreadCount($"dw and dbias {shape}", () =>
            {
                float[] dw = Reference.Normal(n * k, 5), db = Reference.Normal(n, 6); // accumulates into what is there
                ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n, dbias: db);
                return [.. dw, .. db];
            });
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void ProductsSkippingZeroInputsAreIdenticalOnEveryThreadCount(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, k, n) in s_shapes)
        {
            float[] x = SkipZeroInputsTests.SparseInput(rows, k, 1), w = Reference.Normal(n * k, 2), b = Reference.Normal(n, 3), dy = Reference.Normal(rows * n, 4);
            string shape = $"{rows}×{k}×{n} at width {width}, skipping zero inputs";
            SameOnEveryThreadCount($"forward {shape}", () =>
            {
                var y = new float[rows * n];
                ModelGen.Kernels.LinearForward(y, x, w, b, rows, k, n, skipZeroInputs: true);
                return y;
            });
            SameOnEveryThreadCount($"dw and dbias {shape}", () =>
            {
                float[] dw = Reference.Normal(n * k, 5), db = Reference.Normal(n, 6);
                ModelGen.Kernels.LinearBackwardWeight(dw, dy, x, rows, k, n, skipZeroInputs: true, dbias: db);
                return [.. dw, .. db];
            });
            float[] wT = TransposedWeightTests.Transposed(w, n, k);
            foreach (bool skip in new[] { true, false })
            {
                SameOnEveryThreadCount($"forward from wT {shape}, skip {skip}", () =>
                {
                    var y = new float[rows * n];
                    ModelGen.Kernels.LinearForwardTransposed(y, x, wT, b, rows, k, n, skip);
                    return y;
                });
                SameOnEveryThreadCount($"dwT and dbias {shape}, skip {skip}", () =>
                {
                    float[] dwT = Reference.Normal(k * n, 5), db = Reference.Normal(n, 6);
                    ModelGen.Kernels.LinearBackwardWeightTransposed(dwT, dy, x, rows, k, n, skip, accumulate: false, dbias: db);
                    return [.. dwT, .. db];
                });
            }
        }
    });

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void NormsGeluAndAdamWAreIdenticalOnEveryThreadCount(int width) => Reference.AtWidth(width, () =>
    {
        foreach (var (rows, dim) in new[] { (64, 256), (37, 250), (5, 3), (200, 33) })
        {
            float[] x = Reference.Normal(rows * dim, 1, 2f), dy = Reference.Normal(rows * dim, 2), w = Reference.Normal(dim, 3, 1f, 1f), b = Reference.Normal(dim, 4);
            SameOnEveryThreadCount($"LayerNorm {rows}×{dim}", () =>
            {
                var result = new float[rows * dim + 2 * rows + rows * dim + 2 * dim];
                var y = result.AsSpan(0, rows * dim);
                var mean = result.AsSpan(rows * dim, rows);
                var rstd = result.AsSpan(rows * dim + rows, rows);
                ModelGen.Kernels.LayerNormForward(y, mean, rstd, x, w, b, rows, dim, 1e-5f);
                var dx = result.AsSpan(rows * dim + 2 * rows, rows * dim);
                var dw = result.AsSpan(2 * rows * dim + 2 * rows, dim);
                var db = result.AsSpan(2 * rows * dim + 2 * rows + dim, dim);
                dw.Fill(0.5f);
                ModelGen.Kernels.LayerNormBackward(dx, dw, db, dy, x, mean, rstd, w, rows, dim);
                return result;
            });
            SameOnEveryThreadCount($"GELU {rows}×{dim}", () =>
            {
                var result = new float[2 * rows * dim];
                ModelGen.Kernels.GeluForward(result.AsSpan(0, rows * dim), x);
                ModelGen.Kernels.GeluBackward(result.AsSpan(rows * dim), dy, x);
                return result;
            });
            SameOnEveryThreadCount($"GELU saving gelu′ {rows}×{dim}", () =>
            {
                var result = new float[2 * rows * dim];
                var derivative = new double[rows * dim];
                ModelGen.Kernels.GeluForward(result.AsSpan(0, rows * dim), derivative, x);
                ModelGen.Kernels.GeluBackward(result.AsSpan(rows * dim), dy, derivative);
                return result;
            });
        }
        foreach (int n in new[] { 335_114, 4096 * 9 + 5, 17, 0 })
        {
            SameOnEveryThreadCount($"AdamW over {n}", () =>
            {
                float[] parameters = Reference.Normal(n, 1), gradients = Reference.Normal(n, 2), state = new float[2 * n];
                var adamW = new AdamW();
                for (int step = 0; step < 3; step++) adamW.Step(parameters, gradients, state);
                return parameters.Concat(state).ToArray();
            });
        }
    });

    /// <summary>Tensors of the given sizes one after another from offset 0.</summary>
    private static ParameterInfo[] Tiling(params int[] sizes)
    {
        var table = new ParameterInfo[sizes.Length];
        for (int i = 0, offset = 0; i < sizes.Length; offset += sizes[i], i++) table[i] = new ParameterInfo($"t{i}", offset, sizes[i]);
        return table;
    }

    [Theory, MemberData(nameof(Reference.Widths), MemberType = typeof(Reference))]
    public void AdamWSplitByTensorsGivesAdamWsResultsOnEveryThreadCount(int width) => Reference.AtWidth(width, () =>
    {
        var tables = new (string What, ParameterInfo[] Table, int N)[]
        {
            // Cuts inside cache lines, tensors shorter than a line or than a share, one of a single value.
            ("odd sizes", Tiling(5, 16, 40_000, 3, 17, 30_001, 1), 70_043),
            ("the MNIST classifier's table", new MnistClassifier().ParameterTable.ToArray(), MnistClassifier.ParameterCount),
            // Tables that do not tile the arena are ignored: a gap, and one that stops short.
            ("a gap", [new ParameterInfo("a", 0, 100), new ParameterInfo("b", 200, 69_800)], 70_000),
            ("stopping short", Tiling(40_000, 20_000), 70_000),
        };
        foreach (var (what, table, n) in tables)
        {
            float[] Run(ParameterInfo[]? tensors)
            {
                float[] parameters = Reference.Normal(n, 1), gradients = Reference.Normal(n, 2), state = new float[2 * n];
                var adamW = new AdamW();
                for (int step = 0; step < 3; step++)
                {
                    if (tensors is null) adamW.Step(parameters, gradients, state);
                    else adamW.Step(parameters, gradients, state, tensors);
                }
                return parameters.Concat(state).ToArray();
            }
            SameOnEveryThreadCount($"AdamW by tensors, {what}", () => Run(table));
            Assert.Equal(Run(null), Run(table)); // on one thread, as AdamW over the arena (itself the same on every count)
        }
        Assert.Throws<ArgumentNullException>(() => new AdamW().Step(new float[4], new float[4], new float[8], null!));
    });

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16384 * 9 + 7)]
    public void ClearZeroesExactlyItsSpanOnEveryThreadCount(int length) => SameOnEveryThreadCount($"Clear of {length}", () =>
    {
        float[] values = Reference.Normal(length + 3, 1);
        ModelGen.Kernels.Clear(values.AsSpan(1, length));
        Assert.All(values.Skip(1).Take(length), v => Assert.Equal(0f, v));
        Assert.Equal(Reference.Normal(length + 3, 1)[0], values[0]);
        Assert.Equal(Reference.Normal(length + 3, 1).Skip(length + 1), values.Skip(length + 1));
        return values;
    });

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(67)]
    public void GatheringWithTheNextRowsIsIdenticalOnEveryThreadCount(int rows) => SameOnEveryThreadCount($"gather of {rows} rows", () =>
    {
        var pixels = new byte[100 * 784];
        new Random(6).NextBytes(pixels);
        int[] chosen = [.. Enumerable.Range(0, rows).Select(i => (i * 37) % 100)];
        var batch = new float[rows * 784];
        ModelGen.IO.Idx.GatherScaled(pixels, 784, chosen, batch, [.. Enumerable.Range(0, 64).Select(i => (i * 13) % 100)]);
        for (int i = 0; i < rows; i++) Assert.Equal(pixels[chosen[i] * 784 + 400] / 255f, batch[i * 784 + 400]);
        return batch;
    });

    [Fact]
    public void TrainingTheMnistClassifierIsIdenticalOnOneAndTwoThreads()
    {
        // Partial batches too: one row block (23), and blocks of 16 and 17 rows on two threads (33) or 16 and 24 (40).
        int[] batches = [64, 64, 64, 64, 64, 23, 64, 33, 64, 40, 64, 64];
        SameOnEveryThreadCount("MNIST classifier, 12 steps",
            () => TrainOnRandomBatches(new MnistClassifier(seed: 5), new AdamW(), new Rng(9), batches, symmetric: false));
    }

    [Fact]
    public void RowBlockModelTrainsIdenticallyOnEveryThreadCount()
    {
        // Every kind of row-wise layer, in runs that go through the batch in row blocks, and a Dropout between them,
        // whose mask must not depend on the blocks.
        int[] batches = [70, 64, 47, 33, 32, 31, 16, 1, 70];
        SameOnEveryThreadCount("row-block model, 9 steps",
            () => TrainOnRandomBatches(new RowBlockModel(seed: 3), new AdamW(learningRate: 0.01f), new Rng(11), batches, symmetric: true));
    }

    /// <summary>
    /// Trains <paramref name="model"/> one step per batch size, on random inputs (in [0, 1), or [−1, 1) when
    /// <paramref name="symmetric"/>) and classes, and returns what the run produced: each step's loss, the parameters,
    /// the optimizer's state, and the logits of a last forward pass in eval mode over a full batch.
    /// </summary>
    private static float[] TrainOnRandomBatches(IModel<float> model, AdamW optimizer, Rng rng, int[] batches, bool symmetric)
    {
        var x = new float[model.BatchSize * model.InputSize];
        var y = new int[model.BatchSize];
        var losses = new float[batches.Length];
        for (int step = 0; step < batches.Length; step++)
        {
            int rows = batches[step];
            for (int i = 0; i < rows * model.InputSize; i++) x[i] = symmetric ? rng.NextFloat() * 2 - 1 : rng.NextFloat();
            for (int i = 0; i < rows; i++) y[i] = (int)(rng.NextUInt64() % (ulong)model.ClassCount);
            losses[step] = model.TrainStep(x.AsSpan(0, rows * model.InputSize), y.AsSpan(0, rows), rows, optimizer);
        }
        var logits = new float[model.BatchSize * model.OutputSize];
        model.Eval();
        model.Forward(x, model.BatchSize, logits);
        return [.. losses, .. model.Parameters.ToArray(), .. model.OptimizerState.ToArray(), .. logits];
    }

    [Fact]
    public void RowBlocksCoverEveryRowOnceInBlocksOfAtLeastSixteen() => KeepingThreadCount(() =>
    {
        foreach (int threads in new[] { 1, 2, 3 })
        {
            KernelThreads.Count = threads;
            for (int rows = 0; rows <= 100; rows++)
            {
                var blocks = new ConcurrentBag<(int First, int Count)>();
                KernelThreads.ForRowBlocks(rows, blocks, static (seen, first, count) => seen.Add((first, count)));
                var ordered = blocks.OrderBy(b => b.First).ToArray();
                int expected = Math.Max(1, Math.Min(threads, rows / KernelThreads.RowBlockMinimum));
                Assert.Equal(expected, ordered.Length);
                int next = 0;
                foreach (var (first, count) in ordered)
                {
                    Assert.Equal(next, first);
                    Assert.Equal(0, first % KernelThreads.RowBlockMinimum);
                    if (ordered.Length > 1) Assert.True(count >= KernelThreads.RowBlockMinimum, $"{rows} rows on {threads} threads: a block of {count}");
                    next = first + count;
                }
                Assert.Equal(rows, next);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.ForRowBlocks(-1, 0, static (_, _, _) => { }));
    });

    [Fact]
    public void ForCoversEveryItemOnceAndUsesTheWorkers()
    {
        KeepingThreadCount(() =>
        {
            KernelThreads.Count = 2;
            var seen = new int[1000];
            var threads = new ConcurrentDictionary<int, bool>();
            Chunks.Run(seen, threads);
            Assert.All(seen, count => Assert.Equal(1, count));
            Assert.Equal(2, threads.Count);

            KernelThreads.Count = 1;
            Array.Clear(seen);
            threads.Clear();
            Chunks.Run(seen, threads);
            Assert.All(seen, count => Assert.Equal(1, count));
            Assert.Single(threads);
        });
    }

    [Fact]
    public void AStalledWorkerHoldsUpOnlyTheChunkItTook()
    {
        KeepingThreadCount(() =>
        {
            KernelThreads.Count = 2;
            var seen = new int[8];
            var threads = new ConcurrentDictionary<int, bool>();
            Chunks.Run(seen, threads, stallWorkers: true);
            Assert.All(seen, count => Assert.Equal(1, count));
            // 8 chunks of one item: a worker sleeps in the first chunk it takes, and the caller takes all the others.
            Assert.Equal(7, Chunks.OnCaller);
        });
    }

    [Fact]
    public void EachThreadStartsOnItsOwnShareOfTheChunks()
    {
        KeepingThreadCount(() =>
        {
            KernelThreads.Count = 2;
            var seen = new int[8];
            var threads = new ConcurrentDictionary<int, bool>();
            Chunks.Run(seen, threads);
            // 8 chunks of 20 ms on 2 threads: the caller's share is chunks 0-3 and the worker's 4-7, and each thread starts
            // on its own share (a thread done with its own goes on to take what is left of the other's).
            Assert.Equal(0, Chunks.FirstOnCaller);
            Assert.Equal(4, Chunks.FirstOnWorker);
        });
    }

    [Fact]
    public void ManyJobsInARowEachCoverEveryItemOnce()
    {
        KeepingThreadCount(() =>
        {
            foreach (int threads in new[] { 2, 3 })
            {
                KernelThreads.Count = threads;
                for (int job = 0; job < 200_000; job++)
                {
                    // Jobs of 1 to 40 items follow each other within microseconds, as kernel calls do in training,
                    // so workers still finishing one job meet the next one's claims.
                    int count = 1 + job * 7 % 40;
                    Counting.Run(count);
                    Assert.True(Counting.EachOnce(count), $"job {job} of {count} items on {threads} threads");
                }
            }
        });
    }

    // The job generation wraps around after 2^32 jobs (hours of training); a pool whose generations cross the wrap
    // keeps claiming and finishing chunks.
    [Fact]
    public async System.Threading.Tasks.Task JobsAcrossTheGenerationWrapAroundRunEveryItemOnce()
    {
        var pool = new WorkerPool(1, firstGeneration: int.MaxValue - 3);
        try
        {
            var run = System.Threading.Tasks.Task.Run(() => TenJobs(pool));
            Assert.True(await run.WaitAsync(TimeSpan.FromSeconds(30)), "a job was refused or ran an item other than once");
        }
        finally
        {
            pool.Retire();
        }

        static unsafe bool TenJobs(WorkerPool pool)
        {
            for (int job = 0; job < 10; job++)
            {
                Counting.Clear();
                if (!pool.TryRun(2, 8, 40, null, &Counting.Mark) || !Counting.EachOnce(40)) return false;
            }
            return true;
        }
    }

    private static unsafe class Counting
    {
        private static readonly int[] s_seen = new int[40];

        public static void Run(int count)
        {
            Clear();
            KernelThreads.For(count, null, &Mark);
        }

        public static void Clear() => Array.Clear(s_seen);

        public static bool EachOnce(int count) => s_seen.Take(count).All(c => c == 1) && s_seen.Skip(count).All(c => c == 0);

        public static void Mark(void* state, int begin, int end)
        {
            for (int i = begin; i < end; i++) Interlocked.Increment(ref s_seen[i]);
        }
    }

    [Fact]
    public void CountOutsideOneTo256IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.Count = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.Count = 257);
    }

    [Fact]
    public void ChunksSplitEvenlyAndContiguously()
    {
        foreach (int count in new[] { 0, 1, 7, 43, 1000 })
            foreach (int parts in new[] { 1, 2, 3, 8 })
            {
                int next = 0;
                for (int part = 0; part < parts; part++)
                {
                    var (begin, end) = KernelThreads.Chunk(count, part, parts);
                    Assert.Equal(next, begin);
                    Assert.InRange(end - begin, count / parts, count / parts + 1);
                    next = end;
                }
                Assert.Equal(count, next);
            }
    }

    private static unsafe class Chunks
    {
        private static int[]? s_seen;
        private static ConcurrentDictionary<int, bool>? s_threads;
        private static int s_caller, s_onCaller;
        private static bool s_stallWorkers;
        private static int s_firstOnCaller, s_firstOnWorker;

        public static int OnCaller => s_onCaller;

        public static int FirstOnCaller => s_firstOnCaller;

        public static int FirstOnWorker => s_firstOnWorker;

        public static void Run(int[] seen, ConcurrentDictionary<int, bool> threads, bool stallWorkers = false)
        {
            (s_seen, s_threads, s_stallWorkers, s_caller, s_onCaller) = (seen, threads, stallWorkers, Environment.CurrentManagedThreadId, 0);
            (s_firstOnCaller, s_firstOnWorker) = (-1, -1);
            KernelThreads.For(seen.Length, null, &Mark);
        }

        private static void Mark(void* state, int begin, int end)
        {
            bool onCaller = Environment.CurrentManagedThreadId == s_caller;
            s_threads![Environment.CurrentManagedThreadId] = true;
            for (int i = begin; i < end; i++) Interlocked.Increment(ref s_seen![i]);
            if (onCaller) Interlocked.Add(ref s_onCaller, end - begin);
            Interlocked.CompareExchange(ref onCaller ? ref s_firstOnCaller : ref s_firstOnWorker, begin, -1);
            // Long enough that the threads overlap; a stalled worker sleeps far longer than the caller's chunks take.
            Thread.Sleep(s_stallWorkers ? (onCaller ? 20 : 500) : 20);
        }
    }
}
