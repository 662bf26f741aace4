#!/usr/bin/env bash
# rwkv7 and llama.cpp on the very same GGUF files (issue #25's speed point), in interleaved rounds: each round
# runs, for every file and thread count, `rwkv7 bench --model FILE` (exact: fp32 activations against the blocks
# as stored) and `llama-bench -m FILE`, alternating which engine goes first. The table gives each engine's
# median and the median of the per-round ratios, the figure a speed goal is judged by.
#   bench/gguf_vs_llama_cpp.sh LLAMA_BENCH ROUNDS "THREADS" FILE.gguf... [BUILD=build via $RWKV7_BUILD]
# Build llama.cpp outside this repository from its public source with its default options (native ISA), and make
# the files with its llama-quantize (--pure keeps output.weight in the named type; without it Q4/Q5 mixes keep
# the head in Q6_K):  llama-quantize --pure BF16.gguf Q4_0.gguf Q4_0
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 LLAMA_BENCH ROUNDS \"THREADS\" FILE.gguf..." >&2; exit 2; }
llama=$1 rounds=$2 threads=$3
shift 3
rwkv7=${RWKV7_BUILD:-build}/bin/rwkv7
for f in "$llama" "$rwkv7"; do [ -x "$f" ] || { echo "$0: $f is not an executable" >&2; exit 2; }; done
for f in "$@"; do [ -r "$f" ] || { echo "$0: cannot read $f" >&2; exit 2; }; done
log=${GGUF_VS_LLAMA_LOG:-$(mktemp)}  # GGUF_VS_LLAMA_LOG=path keeps the raw rounds
[ -n "${GGUF_VS_LLAMA_LOG:-}" ] || trap 'rm -f "$log"' EXIT
for round in $(seq 1 "$rounds"); do
  for file in "$@"; do
    for t in $threads; do
      ours() { echo "{\"round\":$round,\"file\":\"$file\",\"t\":$t,\"ours\":$("$rwkv7" bench --model "$file" --threads "$t" --tokens 64 --prefill 256 2>/dev/null | tail -1)}" >>"$log"; }
      theirs() { echo "{\"round\":$round,\"file\":\"$file\",\"t\":$t,\"theirs\":$( (cd /tmp && "$llama" -m "$file" -p 256 -n 64 -t "$t" -r 3 -o json 2>/dev/null) | tr -d "\n")}" >>"$log"; }
      if [ $((round % 2)) = 1 ]; then ours; theirs; else theirs; ours; fi
    done
  done
  echo "round $round of $rounds done" >&2
done
python3 - "$log" <<'PY'
import collections, json, os, statistics, sys
ours, theirs = collections.defaultdict(dict), collections.defaultdict(dict)
for line in open(sys.argv[1]):
    x = json.loads(line)
    key = (os.path.basename(x["file"]), x["t"])
    if "ours" in x:
        ours[key][x["round"]] = {"tg": x["ours"]["decode_tok_s"], "pp": x["ours"]["prefill_tok_s"]}
    else:
        theirs[key][x["round"]] = {("pp" if e["n_prompt"] else "tg"): e["avg_ts"] for e in x["theirs"]}
print("tok/s medians (range); ratio = median of per-round rwkv7/llama.cpp; prefill of 256 tokens, decode of 64")
print("| file | threads | decode rwkv7 | decode llama.cpp | decode ratio | prefill rwkv7 | prefill llama.cpp | prefill ratio |")
print("|---|---|---|---|---|---|---|---|")
fmt = lambda v: f"{statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})"
for key in sorted(ours):
    common = sorted(set(ours[key]) & set(theirs[key]))
    row = [key[0], str(key[1])]
    for k in ("tg", "pp"):
        a, b = [ours[key][r][k] for r in common], [theirs[key][r][k] for r in common]
        ratios = [x / y for x, y in zip(a, b)]
        row += [fmt(a), fmt(b), f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"]
    print("| " + " | ".join(row) + " |")
PY
