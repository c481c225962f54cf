#!/usr/bin/env bash
# The reference workload (MNIST, MLP 784-256-256-256 with LayerNorm + head, AdamW, batch 64) trained by ModelGen
# (JIT and NativeAOT, 1 and 2 kernel threads) and by PyTorch (1 and 2 threads) on the same machine in the same run,
# then batch-1 inference latency of both. Prints every throughput and the ratios the performance goals are about,
# and how many cores each run kept busy (user + system CPU time over wall time): PyTorch's "1 thread" setting limits
# its own threads, but OpenBLAS starts threads of its own for the products unless OPENBLAS_NUM_THREADS=1, so the
# script also runs PyTorch on one core that way.
# The same model without LayerNorm, which the reference workload also names, is trained by the bench's `train plain`
# mode (the training loop as PyTorch's reference runs it; JIT, 1 and 2 threads) against PyTorch's `plain` mode.
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

timed() { # NAME COMMAND...: runs the command, noting its wall and CPU times for cores NAME
  local name=$1; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -f '%e %U %S' -o "$out/time-$name" "$@"; else "$@"; fi
}
cores() { # NAME: the cores the run kept busy on average (user + system CPU time over wall time)
  if [ -f "$out/time-$1" ]; then awk '{ if ($1 > 0) printf "%.2f", ($2 + $3) / $1; else print "?" }' "$out/time-$1"; else echo "?"; fi
}

dotnet build -c Release samples/Mnist -nologo -v quiet >/dev/null
echo "== publishing the NativeAOT trainer"
dotnet publish samples/Mnist -c Release -r linux-x64 -o "$out/aot" -nologo -v quiet >/dev/null

declare -A ours
for threads in 1 2; do
  echo "== ModelGen JIT, $threads thread(s), $epochs epochs"
  timed jit$threads dotnet run -c Release --no-build --project samples/Mnist -- train --epochs "$epochs" --threads "$threads" --quiet --no-plot --out "$out/runs" | tee "$out/jit$threads.txt"
  ours[jit$threads]=$(last_epoch "$out/jit$threads.txt")
  echo "== ModelGen NativeAOT, $threads thread(s), $epochs epochs"
  timed aot$threads "$out/aot/mnist" train --epochs "$epochs" --threads "$threads" --quiet --no-plot --out "$out/runs" | tee "$out/aot$threads.txt"
  ours[aot$threads]=$(last_epoch "$out/aot$threads.txt")
done
echo "== ModelGen batch-1 inference"
dotnet run -c Release --project bench/ModelGen.Bench -- latency | tee "$out/latency.txt"
# The last epoch's training images per second of a run that prints PyTorch's reference lines ("epoch N: train X img/s").
reference_epoch() { grep -E '^epoch' "$1" | tail -n 1 | grep -oE 'train [0-9]+ img/s' | grep -oE '[0-9]+'; }
for threads in 1 2; do
  echo "== ModelGen without LayerNorm (bench train plain), $threads thread(s), $epochs epochs"
  timed plain$threads dotnet run -c Release --no-build --project bench/ModelGen.Bench -- train plain "$threads" "$epochs" | tee "$out/plain$threads.txt"
  ours[plain$threads]=$(reference_epoch "$out/plain$threads.txt")
done

torch=""
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not installed for $python; the comparison with it is skipped."
  echo "Install it with: apt-get update && apt-get install -y python3-torch libopenblas0-pthread"
elif [ ! -f "$reference" ]; then
  echo "The PyTorch reference script was not found at $reference (set MODELGEN_TORCH_REFERENCE); skipped."
else
  torch=yes
  declare -A theirs
  version=$("$python" -c 'import torch; print(torch.__version__)')
  for setting in 1 2 core plain1 plain2 plaincore; do
    threads=${setting#plain}; threads=${threads/core/1}
    mode=ln; [ "${setting#plain}" != "$setting" ] && mode=plain
    # Unsetting these lets OpenBLAS pick its AVX-512 kernels (see the reference's README); "core" also keeps
    # OpenBLAS to one thread, so that PyTorch runs on one core like ModelGen's one-thread runs.
    limit=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS)
    [ "${setting#plain}" = core ] && limit+=(OPENBLAS_NUM_THREADS=1)
    echo "== PyTorch $version + OpenBLAS, $mode model, $threads thread(s)$([ "${setting#plain}" = core ] && echo ', OPENBLAS_NUM_THREADS=1'), $epochs epochs"
    timed torch$setting "${limit[@]}" "$python" "$reference" data/mnist "$threads" "$epochs" "$mode" | tee "$out/torch$setting.txt"
    theirs[$setting]=$(reference_epoch "$out/torch$setting.txt")
  done
fi

echo
echo "training throughput (images/s, last epoch; in brackets, the cores the whole run kept busy on average):"
printf '  ModelGen JIT        1 thread %8s [%s]   2 threads %8s [%s]\n' "${ours[jit1]}" "$(cores jit1)" "${ours[jit2]}" "$(cores jit2)"
printf '  ModelGen NativeAOT  1 thread %8s [%s]   2 threads %8s [%s]\n' "${ours[aot1]}" "$(cores aot1)" "${ours[aot2]}" "$(cores aot2)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "  NativeAOT / JIT: $(ratio "${ours[aot1]}" "${ours[jit1]}") on 1 thread, $(ratio "${ours[aot2]}" "${ours[jit2]}") on 2"
echo "  2 threads / 1 thread: JIT $(ratio "${ours[jit2]}" "${ours[jit1]}"), NativeAOT $(ratio "${ours[aot2]}" "${ours[aot1]}")"
# On a shared host the second core is sometimes not there for a while: two threads that meet every few microseconds
# then run no faster than one. Such a run says nothing about ModelGen; say so rather than let it pass as a result.
slow_spell() { # BUILD: says so when BUILD's two-thread run is below 1.3x its one-thread run
  if awk -v a="${ours[${1}2]}" -v b="${ours[${1}1]}" 'BEGIN { exit !(a < 1.3 * b) }'; then
    echo "  note: the $1 two-thread run is below 1.3x its one-thread run, which on this workload means the second core"
    echo "        was busy elsewhere (compare the cores it kept busy, in brackets); run the script again for that figure."
  fi
}
slow_spell jit
slow_spell aot
against_pytorch() { # MODEL OURS1 OURS2: PyTorch's three settings for MODEL ("" with LayerNorm, plain without), its
  # best, and ModelGen's one- and two-thread throughputs against that best and against PyTorch on one core
  local model=$1 ours1=$2 ours2=$3 best setting
  best=${theirs[${model}1]}
  for setting in ${model}2 ${model}core; do [ "${theirs[$setting]}" -gt "$best" ] && best=${theirs[$setting]}; done
  printf '  PyTorch             1 thread %8s [%s]   2 threads %8s [%s]   1 thread, OPENBLAS_NUM_THREADS=1 %8s [%s]   (best %s)\n' \
    "${theirs[${model}1]}" "$(cores torch${model}1)" "${theirs[${model}2]}" "$(cores torch${model}2)" \
    "${theirs[${model}core]}" "$(cores torch${model}core)" "$best"
  echo "  ModelGen / PyTorch's best: $(ratio "$ours1" "$best") on 1 thread, $(ratio "$ours2" "$best") on 2 threads"
  echo "  ModelGen / PyTorch on one core (OPENBLAS_NUM_THREADS=1): $(ratio "$ours1" "${theirs[${model}core]}") on 1 thread"
}
if [ -n "$torch" ]; then
  fastest1=${ours[jit1]}; [ "${ours[aot1]}" -gt "$fastest1" ] && fastest1=${ours[aot1]}
  fastest2=${ours[jit2]}; [ "${ours[aot2]}" -gt "$fastest2" ] && fastest2=${ours[aot2]}
  against_pytorch "" "$fastest1" "$fastest2"
fi
echo
echo "the same model without LayerNorm (images/s, last epoch; ModelGen: bench train plain, JIT):"
printf '  ModelGen            1 thread %8s [%s]   2 threads %8s [%s]   (2 threads / 1 thread: %s)\n' \
  "${ours[plain1]}" "$(cores plain1)" "${ours[plain2]}" "$(cores plain2)" "$(ratio "${ours[plain2]}" "${ours[plain1]}")"
slow_spell plain
if [ -n "$torch" ]; then
  against_pytorch plain "${ours[plain1]}" "${ours[plain2]}"
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
