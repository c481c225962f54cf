#!/usr/bin/env bash
# The Words sample in continuous integration, in two parts so .ci/run can install before the tests and train after:
#   .ci/words.sh install   installs Debian's wamerican when /usr/share/dict/american-english is missing (the Words
#                          tests and trainer read it)
#   .ci/words.sh train     trains one epoch on 20 000 training words (seconds, after the build) and fails unless the test
#                          loss is below the bigram baseline's, and, where PyTorch is installed, unless the saved
#                          weights give the same test loss in PyTorch
#   .ci/words.sh           both
set -uo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
list=/usr/share/dict/american-english

install() {
  if [ -f "$list" ]; then
    echo "word list: $list ($(wc -l < "$list") lines)"
    return 0
  fi
  echo "installing wamerican for $list"
  apt-get update -qq && apt-get install -y -qq wamerican >/dev/null || { echo "could not install wamerican"; return 1; }
  [ -f "$list" ] || { echo "wamerican is installed but $list is missing"; return 1; }
}

train() {
  local out log model bigram
  out=$(mktemp -d)
  log="$out/words.txt"
  dotnet run -c Release --project samples/Words -- train --epochs 1 --limit 20000 --samples 5 --no-plot --out "$out/runs" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "the Words trainer failed"; return 1; }
  # "test loss 2.1131 nats/char (3.049 bits); bigram baseline 2.5062: ..."
  model=$(grep -oE '^test loss [0-9.]+' "$log" | grep -oE '[0-9.]+$')
  bigram=$(grep -oE '^test loss .*bigram baseline [0-9.]+' "$log" | grep -oE '[0-9.]+$')
  if [ -z "$model" ] || [ -z "$bigram" ]; then echo "no test loss line in the Words output"; return 1; fi
  echo "Words test loss $model nats/char, bigram baseline $bigram (must be lower)"
  awk -v m="$model" -v b="$bigram" 'BEGIN { exit !(m < b) }' || return 1
  in_pytorch "$model" "$(run_folder "$log")/model.safetensors"
}

# Where /usr/bin/python3 has PyTorch: the run's weights must load into samples/Words/load_in_pytorch.py's module with
# strict=True and give the trainer's test loss (printed to 4 decimals) within 0.0002 nats/char.
in_pytorch() {
  local model=$1 weights=$2 output theirs
  if ! has_torch; then
    echo "PyTorch is not installed for /usr/bin/python3: the Words weights' check in PyTorch is skipped"
    return 0
  fi
  output=$(/usr/bin/python3 samples/Words/load_in_pytorch.py "$weights" 2>&1)
  echo "$output"
  theirs=$(echo "$output" | grep -oE 'test loss [0-9.]+' | grep -oE '[0-9.]+$')
  if [ -z "$theirs" ] || ! awk -v m="$model" -v t="$theirs" 'BEGIN { d = m - t; if (d < 0) d = -d; exit !(d <= 0.0002) }'; then
    echo "the Words weights did not load in PyTorch, or gave another test loss (ModelGen $model, PyTorch ${theirs:-?})"
    return 1
  fi
  echo "Words test loss in PyTorch $theirs nats/char, ModelGen $model"
}

case "${1:-all}" in
  install) install ;;
  train) train ;;
  all) install && train ;;
  *) echo "usage: $0 [install|train]" >&2; exit 2 ;;
esac
