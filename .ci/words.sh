#!/usr/bin/env bash
# The Words sample in continuous integration, in two parts so .ci/run can install before the tests and train after:
#   .ci/words.sh install   installs Debian's wamerican when /usr/share/dict/american-english is missing (the Words
#                          tests and trainer read it)
#   .ci/words.sh train     trains one epoch on 20 000 training words (seconds, after the build) and fails unless the test
#                          loss is below the bigram baseline's
#   .ci/words.sh           both
set -uo pipefail
cd "$(dirname "$0")/.."
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
  awk -v m="$model" -v b="$bigram" 'BEGIN { exit !(m < b) }'
}

case "${1:-all}" in
  install) install ;;
  train) train ;;
  all) install && train ;;
  *) echo "usage: $0 [install|train]" >&2; exit 2 ;;
esac
