#!/usr/bin/env bash
# Trains the reference workload (MNIST, MLP 784-256-256-256 with LayerNorm + head, AdamW, batch 64) with ModelGen and
# with PyTorch on the same machine in the same run, one thread each, and prints both training throughputs and their
# ratio. PyTorch is optional: without it the script says how to install it and stops cleanly.
#
#   bash bench/compare-pytorch.sh [EPOCHS]      (default 2; the last epoch's throughput is compared)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-2}
reference=${MODELGEN_TORCH_REFERENCE:-../shared/bench/torch_mnist.py}
python=/usr/bin/python3

if ! "$python" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not installed for $python; skipping the comparison."
  echo "Install it with: apt-get update && apt-get install -y python3-torch libopenblas0-pthread"
  exit 0
fi
if [ ! -f "$reference" ]; then
  echo "The PyTorch reference script was not found at $reference (set MODELGEN_TORCH_REFERENCE); skipping."
  exit 0
fi

out=$(mktemp -d)
echo "== ModelGen (JIT, 1 thread), $epochs epochs"
dotnet run -c Release --project samples/Mnist -- train --epochs "$epochs" --no-plot --out "$out/runs" | tee "$out/modelgen.txt"
ours=$(grep -E '^epoch [0-9]+/[0-9]+ +train loss' "$out/modelgen.txt" | tail -n 1 | grep -oE '[0-9,]+ img/s' | tr -d ', img/s')

echo "== PyTorch $("$python" -c 'import torch; print(torch.__version__)') (1 thread, OpenBLAS), $epochs epochs"
# Unsetting these lets OpenBLAS pick its AVX-512 kernels (see ../shared/bench/README.md).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$reference" data/mnist 1 "$epochs" ln | tee "$out/torch.txt"
theirs=$(grep -E '^epoch' "$out/torch.txt" | tail -n 1 | grep -oE 'train [0-9]+ img/s' | grep -oE '[0-9]+')

echo
echo "training throughput, last epoch: ModelGen $ours img/s, PyTorch $theirs img/s"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ratio ModelGen / PyTorch: %.2fx\n", a / b }'
