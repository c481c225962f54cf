#!/usr/bin/env bash
# The reference workload (MNIST, MLP 784-256-256-256 with LayerNorm + head, AdamW, batch 64) trained by ModelGen
# (JIT and NativeAOT, 1 and 2 kernel threads) and by PyTorch (1 and 2 threads) on the same machine in the same run,
# then batch-1 inference latency of both. Prints every throughput and the ratios the performance goals are about.
# PyTorch is optional: without it the script says how to install it and compares ModelGen with itself only.
#
#   bash bench/compare-pytorch.sh [EPOCHS]      (default 2; each run's last epoch is compared)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-2}
reference=${MODELGEN_TORCH_REFERENCE:-../shared/bench/torch_mnist.py}
python=/usr/bin/python3
out=$(mktemp -d)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

last_epoch() { # FILE: the img/s of the last epoch summary line of a ModelGen run
  grep -E '^epoch [0-9]+/[0-9]+ +train loss' "$1" | tail -n 1 | grep -oE '[0-9,]+ img/s' | tr -d ', img/s'
}

dotnet build -c Release samples/Mnist -nologo -v quiet >/dev/null
echo "== publishing the NativeAOT trainer"
dotnet publish samples/Mnist -c Release -r linux-x64 -o "$out/aot" -nologo -v quiet >/dev/null

declare -A ours
for threads in 1 2; do
  echo "== ModelGen JIT, $threads thread(s), $epochs epochs"
  dotnet run -c Release --no-build --project samples/Mnist -- train --epochs "$epochs" --threads "$threads" --quiet --no-plot --out "$out/runs" | tee "$out/jit$threads.txt"
  ours[jit$threads]=$(last_epoch "$out/jit$threads.txt")
  echo "== ModelGen NativeAOT, $threads thread(s), $epochs epochs"
  "$out/aot/mnist" train --epochs "$epochs" --threads "$threads" --quiet --no-plot --out "$out/runs" | tee "$out/aot$threads.txt"
  ours[aot$threads]=$(last_epoch "$out/aot$threads.txt")
done
echo "== ModelGen batch-1 inference"
dotnet run -c Release --project bench/ModelGen.Bench -- latency | tee "$out/latency.txt"

torch=""
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not installed for $python; the comparison with it is skipped."
  echo "Install it with: apt-get update && apt-get install -y python3-torch libopenblas0-pthread"
elif [ ! -f "$reference" ]; then
  echo "The PyTorch reference script was not found at $reference (set MODELGEN_TORCH_REFERENCE); skipped."
else
  torch=yes
  declare -A theirs
  for threads in 1 2; do
    echo "== PyTorch $("$python" -c 'import torch; print(torch.__version__)') + OpenBLAS, $threads thread(s), $epochs epochs"
    # Unsetting these lets OpenBLAS pick its AVX-512 kernels (see the reference's README).
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$reference" data/mnist "$threads" "$epochs" ln | tee "$out/torch$threads.txt"
    theirs[$threads]=$(grep -E '^epoch' "$out/torch$threads.txt" | tail -n 1 | grep -oE 'train [0-9]+ img/s' | grep -oE '[0-9]+')
  done
fi

echo
echo "training throughput (images/s, last epoch):"
printf '  ModelGen JIT        1 thread %8s   2 threads %8s\n' "${ours[jit1]}" "${ours[jit2]}"
printf '  ModelGen NativeAOT  1 thread %8s   2 threads %8s\n' "${ours[aot1]}" "${ours[aot2]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "  NativeAOT / JIT: $(ratio "${ours[aot1]}" "${ours[jit1]}") on 1 thread, $(ratio "${ours[aot2]}" "${ours[jit2]}") on 2"
echo "  2 threads / 1 thread: JIT $(ratio "${ours[jit2]}" "${ours[jit1]}"), NativeAOT $(ratio "${ours[aot2]}" "${ours[aot1]}")"
if [ -n "$torch" ]; then
  best=${theirs[1]}; [ "${theirs[2]}" -gt "$best" ] && best=${theirs[2]}
  printf '  PyTorch             1 thread %8s   2 threads %8s   (best %s)\n' "${theirs[1]}" "${theirs[2]}" "$best"
  fastest1=${ours[jit1]}; [ "${ours[aot1]}" -gt "$fastest1" ] && fastest1=${ours[aot1]}
  fastest2=${ours[jit2]}; [ "${ours[aot2]}" -gt "$fastest2" ] && fastest2=${ours[aot2]}
  echo "  ModelGen / PyTorch's best: $(ratio "$fastest1" "$best") on 1 thread, $(ratio "$fastest2" "$best") on 2 threads"
  echo
  echo "batch-1 inference latency:"
  sed 's/^/  ModelGen: /' "$out/latency.txt"
  theirs_latency=$(grep -oE 'latency: [0-9.]+' "$out/torch1.txt" | grep -oE '[0-9.]+')
  echo "  PyTorch, 1 thread: $theirs_latency us"
  for threads in 1 2; do
    ours_latency=$(grep -E "latency, $threads thread" "$out/latency.txt" | grep -oE 'mean [0-9.]+' | grep -oE '[0-9.]+')
    echo "  PyTorch / ModelGen ($threads thread(s), means): $(ratio "$theirs_latency" "$ours_latency")"
  done
fi
