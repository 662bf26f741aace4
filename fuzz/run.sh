#!/usr/bin/env bash
# fuzz/run.sh — runs one libFuzzer harness for a while on a scratch copy of its seed corpus.
#
#   fuzz/run.sh NAME SECONDS [extra libFuzzer args...]
#   fuzz/run.sh NAME SECONDS -jobs=W -workers=W      (W processes at once; their executions are summed)
#
# NAME: zip pickle pth safetensors sharded gguf rwkv_cpp world_vocab bpe_tokenizer state model (the fuzz_<NAME> program).
# The build folder is $RWKV7_FUZZ_BUILD (default: build-fuzz in the repository), configured with
#   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DRWKV7_FUZZ=ON && cmake --build build-fuzz -j2
# Nothing is written into the repository: the corpus (seeds + fuzz/regressions/NAME) is copied to a scratch
# folder under ${RWKV7_FUZZ_SCRATCH:-${TMPDIR:-/tmp}}, which also receives the log and any crash/leak/timeout/
# OOM input. Exits nonzero if the fuzzer found one, printing the input's path.
set -euo pipefail

usage() { echo "usage: $0 NAME SECONDS [libFuzzer args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
name=$1 seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ ]] || usage

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${RWKV7_FUZZ_BUILD:-$root/build-fuzz}

# Longest input per harness: above the largest seed (libFuzzer truncates longer seeds), small enough to stay fast.
case $name in
  zip) max_len=32768 dicts="zip" ;;
  pickle) max_len=8192 dicts="pickle" ;;
  pth) max_len=32768 dicts="zip pickle names" ;;
  safetensors) max_len=24576 dicts="json names" ;;
  sharded) max_len=24576 dicts="json names" ;;
  gguf) max_len=32768 dicts="names" ;;
  rwkv_cpp) max_len=32768 dicts="names" ;;
  world_vocab) max_len=16384 dicts="world_vocab" ;;
  bpe_tokenizer) max_len=16384 dicts="json" ;;
  state) max_len=4096 dicts="state" ;;
  model) max_len=32768 dicts="zip pickle json names" ;;
  *) echo "$0: unknown harness '$name'" >&2; usage ;;
esac

bin=$build/fuzz/fuzz_$name
if [ ! -x "$bin" ]; then
  echo "$0: $bin not found; build with -DCMAKE_CXX_COMPILER=clang++ -DRWKV7_FUZZ=ON (or set RWKV7_FUZZ_BUILD)" >&2
  exit 2
fi

bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")  # absolute: the run happens in the scratch folder
scratch=$(mktemp -d "${RWKV7_FUZZ_SCRATCH:-${TMPDIR:-/tmp}}/rwkv7-fuzz-$name.XXXXXX")
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp "$here/corpus/$name"/* "$scratch/corpus/"
find "$here/regressions/$name" -type f ! -name '.*' ! -name 'README*' -exec cp {} "$scratch/corpus/" \; 2>/dev/null || true
dict=$scratch/$name.dict
for d in $dicts; do cat "$here/dict/$d.dict"; done > "$dict"

# A 256 KiB stack (RWKV7_FUZZ_STACK_KB; the seeds need < 64 KiB) makes recursion that grows with the input
# overflow within max_len bytes;
# no single allocation may exceed 256 MiB (RWKV7_FUZZ_MALLOC_MB): 8000x the largest input is amplification.
ulimit -s "${RWKV7_FUZZ_STACK_KB:-256}"
echo "fuzzing $name for ${seconds}s in $scratch (stack $(ulimit -s) KiB)" >&2
cd "$scratch"  # with -jobs, each worker writes fuzz-<n>.log here
set +e
"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb="${RWKV7_FUZZ_MALLOC_MB:-256}" -timeout=10 \
  -max_len="$max_len" -dict="$dict" -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" "$@" "$scratch/corpus" 2>&1 | tee "$scratch/fuzz.log" >&2
rc=${PIPESTATUS[0]}
set -e

echo "---- $name: $(grep -hE '^#[0-9]+[[:space:]]+DONE' "$scratch"/fuzz*.log | tail -n1 || true)"
grep -hE '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$scratch/fuzz.log" || true
# Totals over every worker (their own logs when -jobs made them: the main log repeats them), executions and the
# widest coverage any of them reached.
logs=$(ls "$scratch"/fuzz-*.log 2>/dev/null || echo "$scratch/fuzz.log")
cat $logs | awk -v name="$name" '
  /^stat::number_of_executed_units:/ { runs += $2; workers++ }
  / cov: [0-9]+ ft: [0-9]+/ { for (i = 1; i < NF; i++) { if ($i == "cov:" && $(i+1) > cov) cov = $(i+1); if ($i == "ft:" && $(i+1) > ft) ft = $(i+1) } }
  END { printf "total %s: %d executions in %d worker(s), coverage %d edges, %d features\n", name, runs, workers, cov, ft }' 
found=$(find "$scratch/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
  echo "FAILED: fuzz_$name exited with $rc; log: $scratch/fuzz.log"
  grep -h -m3 -E '^==[0-9]+== ?ERROR|^SUMMARY:|runtime error:|fuzz check failed' "$scratch"/fuzz*.log || true
  for f in $found; do
    echo "reproducer: $f"
  done
  echo "reproduce (in a shell with ulimit -s $(ulimit -s)): $bin <reproducer>;  minimize: $bin -minimize_crash=1 -runs=10000 -artifact_prefix=$scratch/min- <reproducer>"
  exit 1
fi
echo "ok: no crash; corpus grew to $(ls "$scratch/corpus" | wc -l) inputs in $scratch/corpus"
