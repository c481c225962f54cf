#!/usr/bin/env bash
# The three products of a Linear layer at the workload's shapes: ModelGen's kernels (1 and 2 threads, with the
# core's measured FMA peak) and numpy's matmul on Debian's OpenBLAS (one thread), in the same run.
# numpy is optional: without it the OpenBLAS half is skipped with a note.
#
#   bash bench/products.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ModelGen"
dotnet run -c Release --project bench/ModelGen.Bench -- products
echo
echo "== OpenBLAS (numpy, 1 thread)"
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/openblas_products.py
else
  echo "numpy is not installed for /usr/bin/python3; skipped (apt-get install -y python3-numpy libopenblas0-pthread)."
fi
