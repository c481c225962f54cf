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
# With ROUNDS above 1 every training run is repeated that many times, in turn (ModelGen's and PyTorch's runs of a
# round one after the other, so that a slow spell of the shared host falls on both), each round's ratios are printed
# as it ends, and the last lines give each ratio's median over the rounds.
#
#   bash bench/compare-pytorch.sh [EPOCHS] [ROUNDS]      (defaults 2 and 1; each run's last epoch is compared)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-2}
rounds=${2:-1}
if ! [[ "$epochs" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash bench/compare-pytorch.sh [EPOCHS] [ROUNDS]   (whole numbers from 1; got '$epochs' '$rounds')" >&2
  exit 2
fi
reference=${MODELGEN_TORCH_REFERENCE:-../shared/bench/torch_mnist.py}
python=/usr/bin/python3
out=$(mktemp -d)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

last_epoch() { # FILE: the img/s of the last epoch summary line of a ModelGen run
  grep -E '^epoch [0-9]+/[0-9]+ +train loss' "$1" | tail -n 1 | grep -oE '[0-9,]+ img/s' | tr -d ', img/s'
}
# The last epoch's training images per second of a run that prints PyTorch's reference lines ("epoch N: train X img/s").
reference_epoch() { grep -E '^epoch' "$1" | tail -n 1 | grep -oE 'train [0-9]+ img/s' | grep -oE '[0-9]+'; }

timed() { # NAME COMMAND...: runs the command, noting its wall and CPU times for cores NAME
  local name=$1; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -f '%e %U %S' -o "$out/time-$name" "$@"; else "$@"; fi
}
cores() { # NAME: the cores the run kept busy on average (user + system CPU time over wall time)
  if [ -f "$out/time-$1" ]; then awk '{ if ($1 > 0) printf "%.2f", ($2 + $3) / $1; else print "?" }' "$out/time-$1"; else echo "?"; fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

dotnet build -c Release samples/Mnist -nologo -v quiet >/dev/null
dotnet build -c Release bench/ModelGen.Bench -nologo -v quiet >/dev/null
echo "== publishing the NativeAOT trainer"
dotnet publish samples/Mnist -c Release -r linux-x64 -o "$out/aot" -nologo -v quiet >/dev/null

torch=""
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not installed for $python; the comparison with it is skipped."
  echo "Install it with: apt-get update && apt-get install -y python3-torch libopenblas0-pthread"
elif [ ! -f "$reference" ]; then
  echo "The PyTorch reference script was not found at $reference (set MODELGEN_TORCH_REFERENCE); skipped."
else
  torch=yes
  version=$("$python" -c 'import torch; print(torch.__version__)')
fi

# One round: every training run once. Throughputs go to ours[R,name] and theirs[R,setting], logs and CPU times to
# files named rR-name.
declare -A ours theirs
run_round() { # R
  local r=$1 threads setting mode limit
  for threads in 1 2; do
    echo "== round $r: ModelGen JIT, $threads thread(s), $epochs epochs"
    timed "r$r-jit$threads" dotnet run -c Release --no-build --project samples/Mnist -- train --epochs "$epochs" --threads "$threads" --quiet --no-plot --out "$out/runs" | tee "$out/r$r-jit$threads.txt"
    ours[$r,jit$threads]=$(last_epoch "$out/r$r-jit$threads.txt")
    echo "== round $r: ModelGen NativeAOT, $threads thread(s), $epochs epochs"
    timed "r$r-aot$threads" "$out/aot/mnist" train --epochs "$epochs" --threads "$threads" --quiet --no-plot --out "$out/runs" | tee "$out/r$r-aot$threads.txt"
    ours[$r,aot$threads]=$(last_epoch "$out/r$r-aot$threads.txt")
  done
  for threads in 1 2; do
    echo "== round $r: ModelGen without LayerNorm (bench train plain), $threads thread(s), $epochs epochs"
    timed "r$r-plain$threads" dotnet run -c Release --no-build --project bench/ModelGen.Bench -- train plain "$threads" "$epochs" | tee "$out/r$r-plain$threads.txt"
    ours[$r,plain$threads]=$(reference_epoch "$out/r$r-plain$threads.txt")
  done
  [ -n "$torch" ] || return 0
  for setting in 1 2 core plain1 plain2 plaincore; do
    threads=${setting#plain}; threads=${threads/core/1}
    mode=ln; [ "${setting#plain}" != "$setting" ] && mode=plain
    # Unsetting these lets OpenBLAS pick its AVX-512 kernels (see the reference's README); "core" also keeps
    # OpenBLAS to one thread, so that PyTorch runs on one core like ModelGen's one-thread runs.
    limit=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS)
    [ "${setting#plain}" = core ] && limit+=(OPENBLAS_NUM_THREADS=1)
    echo "== round $r: PyTorch $version + OpenBLAS, $mode model, $threads thread(s)$([ "${setting#plain}" = core ] && echo ', OPENBLAS_NUM_THREADS=1'), $epochs epochs"
    timed "r$r-torch$setting" "${limit[@]}" "$python" "$reference" data/mnist "$threads" "$epochs" "$mode" | tee "$out/r$r-torch$setting.txt"
    theirs[$r,$setting]=$(reference_epoch "$out/r$r-torch$setting.txt")
  done
}

# The ratios of each round, for the medians: ModelGen against PyTorch's best and its one core, with and without
# LayerNorm, and two threads against one where the host gave the second core.
declare -A ratios
note_ratio() { ratios[$1]="${ratios[$1]:-} $(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.4f", a / b }')"; }

# On a shared host the second core is sometimes not there for a while: two threads that meet every few microseconds
# then run no faster than one. Such a run says nothing about ModelGen; say so rather than let it pass as a result.
slow_spell() { # R BUILD: true (and says so) when BUILD's two-thread run in round R is below 1.3x its one-thread run
  if awk -v a="${ours[$1,${2}2]}" -v b="${ours[$1,${2}1]}" 'BEGIN { exit !(a < 1.3 * b) }'; then
    echo "  note: the $2 two-thread run is below 1.3x its one-thread run, which on this workload means the second core"
    echo "        was busy elsewhere (compare the cores it kept busy, in brackets); run the script again for that figure."
    return 0
  fi
  return 1
}

against_pytorch() { # R MODEL OURS1 OURS2: PyTorch's three settings for MODEL ("" with LayerNorm, plain without), its
  # best, and ModelGen's one- and two-thread throughputs against that best and against PyTorch on one core
  local r=$1 model=$2 ours1=$3 ours2=$4 best setting
  best=${theirs[$r,${model}1]}
  for setting in ${model}2 ${model}core; do [ "${theirs[$r,$setting]}" -gt "$best" ] && best=${theirs[$r,$setting]}; done
  printf '  PyTorch             1 thread %8s [%s]   2 threads %8s [%s]   1 thread, OPENBLAS_NUM_THREADS=1 %8s [%s]   (best %s)\n' \
    "${theirs[$r,${model}1]}" "$(cores "r$r-torch${model}1")" "${theirs[$r,${model}2]}" "$(cores "r$r-torch${model}2")" \
    "${theirs[$r,${model}core]}" "$(cores "r$r-torch${model}core")" "$best"
  echo "  ModelGen / PyTorch's best: $(ratio "$ours1" "$best") on 1 thread, $(ratio "$ours2" "$best") on 2 threads"
  echo "  ModelGen / PyTorch on one core (OPENBLAS_NUM_THREADS=1): $(ratio "$ours1" "${theirs[$r,${model}core]}") on 1 thread"
  note_ratio "${model:-ln} best" "$ours1" "$best"
  note_ratio "${model:-ln} core" "$ours1" "${theirs[$r,${model}core]}"
}

print_round() { # R
  local r=$1 fastest1 fastest2 build label=""
  [ "$rounds" -gt 1 ] && label="round $r of $rounds, "
  echo
  echo "${label}training throughput (images/s, last epoch; in brackets, the cores the whole run kept busy on average):"
  printf '  ModelGen JIT        1 thread %8s [%s]   2 threads %8s [%s]\n' "${ours[$r,jit1]}" "$(cores "r$r-jit1")" "${ours[$r,jit2]}" "$(cores "r$r-jit2")"
  printf '  ModelGen NativeAOT  1 thread %8s [%s]   2 threads %8s [%s]\n' "${ours[$r,aot1]}" "$(cores "r$r-aot1")" "${ours[$r,aot2]}" "$(cores "r$r-aot2")"
  echo "  NativeAOT / JIT: $(ratio "${ours[$r,aot1]}" "${ours[$r,jit1]}") on 1 thread, $(ratio "${ours[$r,aot2]}" "${ours[$r,jit2]}") on 2"
  echo "  2 threads / 1 thread: JIT $(ratio "${ours[$r,jit2]}" "${ours[$r,jit1]}"), NativeAOT $(ratio "${ours[$r,aot2]}" "${ours[$r,aot1]}")"
  for build in jit aot; do
    slow_spell "$r" "$build" || note_ratio "$build threads" "${ours[$r,${build}2]}" "${ours[$r,${build}1]}"
  done
  if [ -n "$torch" ]; then
    fastest1=${ours[$r,jit1]}; [ "${ours[$r,aot1]}" -gt "$fastest1" ] && fastest1=${ours[$r,aot1]}
    fastest2=${ours[$r,jit2]}; [ "${ours[$r,aot2]}" -gt "$fastest2" ] && fastest2=${ours[$r,aot2]}
    against_pytorch "$r" "" "$fastest1" "$fastest2"
  fi
  echo
  echo "${label}the same model without LayerNorm (images/s, last epoch; ModelGen: bench train plain, JIT):"
  printf '  ModelGen            1 thread %8s [%s]   2 threads %8s [%s]   (2 threads / 1 thread: %s)\n' \
    "${ours[$r,plain1]}" "$(cores "r$r-plain1")" "${ours[$r,plain2]}" "$(cores "r$r-plain2")" "$(ratio "${ours[$r,plain2]}" "${ours[$r,plain1]}")"
  slow_spell "$r" plain || true
  if [ -n "$torch" ]; then against_pytorch "$r" plain "${ours[$r,plain1]}" "${ours[$r,plain2]}"; fi
  echo
}

for r in $(seq 1 "$rounds"); do
  run_round "$r"
  print_round "$r"
done

echo "== ModelGen batch-1 inference"
dotnet run -c Release --no-build --project bench/ModelGen.Bench -- latency | tee "$out/latency.txt"
if [ -n "$torch" ]; then
  echo
  echo "batch-1 inference latency:"
  sed 's/^/  ModelGen: /' "$out/latency.txt"
  theirs_latency=$(grep -oE 'latency: [0-9.]+' "$out/r1-torch1.txt" | grep -oE '[0-9.]+')
  echo "  PyTorch, 1 thread: $theirs_latency us (its first round)"
  for threads in 1 2; do
    ours_latency=$(grep -E "latency, $threads thread" "$out/latency.txt" | grep -oE 'mean [0-9.]+' | grep -oE '[0-9.]+')
    echo "  PyTorch / ModelGen ($threads thread(s), means): $(ratio "$theirs_latency" "$ours_latency")"
  done
fi

if [ "$rounds" -gt 1 ]; then
  median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "none"; else printf "%.2fx (%d rounds, %.2f-%.2fx)", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), NR, v[1], v[NR] }'; }
  echo
  echo "medians over the $rounds rounds (two threads only from rounds where the host gave the second core):"
  echo "  2 threads / 1 thread: JIT $(median <<< "${ratios[jit threads]:-}"), NativeAOT $(median <<< "${ratios[aot threads]:-}")"
  if [ -n "$torch" ]; then
    echo "  ModelGen 1 thread / PyTorch's best: $(median <<< "${ratios[ln best]:-}"); without LayerNorm $(median <<< "${ratios[plain best]:-}")"
    echo "  ModelGen 1 thread / PyTorch on one core: $(median <<< "${ratios[ln core]:-}"); without LayerNorm $(median <<< "${ratios[plain core]:-}")"
  fi
fi
