"""GFLOP/s of numpy's matmul (Debian's OpenBLAS) on the products of the reference workload, one thread.

Run through bench/products.sh, which sets OPENBLAS_NUM_THREADS=1 and unsets OPENBLAS_CORETYPE so OpenBLAS picks
its AVX-512 kernels. Each figure is the best of 7 rounds of 500 calls after 300 warm-up calls, as for ModelGen.
"""
import time
import numpy as np

rng = np.random.default_rng(2)
print("product          rows×in×out    OpenBLAS µs/call   GFLOP/s")
for rows, k, n in [(64, 784, 256), (64, 256, 256), (64, 256, 10)]:
    x = rng.random((rows, k), dtype=np.float32) - 0.5
    w = rng.random((n, k), dtype=np.float32) - 0.5
    dy = rng.random((rows, n), dtype=np.float32) - 0.5
    flops = 2.0 * rows * k * n
    cases = [
        ("y = x·Wᵀ", lambda: np.matmul(x, w.T)),
        ("dX = dY·W", lambda: np.matmul(dy, w)),
        ("dW = dYᵀ·X", lambda: np.matmul(dy.T, x)),
    ]
    for name, call in cases:
        for _ in range(300):
            call()
        best = float("inf")
        for _ in range(7):
            start = time.perf_counter()
            for _ in range(500):
                call()
            best = min(best, (time.perf_counter() - start) / 500 * 1e6)
        print(f"{name:<16} {rows:3}×{k:3}×{n:<4}  {best:16.1f}  {flops / best / 1e3:8.1f}")
