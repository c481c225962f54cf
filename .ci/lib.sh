# Helpers that .ci/run and .ci/words.sh share; sourced, not run.

# Whether /usr/bin/python3 has PyTorch (optional: the checks in PyTorch are skipped without it).
has_torch() { /usr/bin/python3 -c "import torch" 2>/dev/null; }

# The folder a trainer's run wrote, from the "run folder: PATH" line of its output in FILE.
run_folder() { grep -oE 'run folder: .*' "$1" | tail -n 1 | sed 's/^run folder: //'; }
