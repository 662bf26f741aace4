#!/usr/bin/env bash
# rwkv7 against llama.cpp on the same weights, side by side, in interleaved rounds: each round runs, at every thread
# count, `rwkv7 bench` in each precision mode and `llama-bench` on the BF16 and the Q8_0 GGUF, alternating which
# engine goes first, plus the matrix-unit peaks (rwkv7_matrix_peak). The table gives each engine's median and the
# median of the per-round ratios (the figure a speed goal is judged by), and each rwkv7 prefill mode as a share of
# the peak of the instruction it multiplies with, measured in the same round.
#   bench/vs_llama_cpp.sh LLAMA_BENCH MODEL.pth BF16.gguf Q8_0.gguf [ROUNDS=5] [THREADS="1 2"] [BUILD=build]
# Build llama.cpp outside this repository from its public source with its default options (native ISA):
#   cmake -S llama.cpp -B llama.cpp/build -DCMAKE_BUILD_TYPE=Release && cmake --build llama.cpp/build --target llama-bench llama-quantize
# The GGUFs: tools/pth_to_gguf.py --model MODEL.pth --vocab rwkv_vocab_v20230424.txt --out BF16.gguf, then
# llama-quantize BF16.gguf Q8_0.gguf Q8_0.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 LLAMA_BENCH MODEL.pth BF16.gguf Q8_0.gguf [ROUNDS] [THREADS] [BUILD]" >&2; exit 2; }
llama=$1 model=$2 bf16=$3 q8=$4 rounds=${5:-5} threads=${6:-"1 2"} build=${7:-build}
rwkv7=$build/bin/rwkv7 peak=$build/bin/rwkv7_matrix_peak
for f in "$llama" "$rwkv7" "$peak"; do [ -x "$f" ] || { echo "$0: $f is not an executable" >&2; exit 2; }; done
for f in "$model" "$bf16" "$q8"; do [ -r "$f" ] || { echo "$0: cannot read $f" >&2; exit 2; }; done
log=${VS_LLAMA_LOG:-$(mktemp)}  # VS_LLAMA_LOG=path keeps the raw rounds
[ -n "${VS_LLAMA_LOG:-}" ] || trap 'rm -f "$log"' EXIT
ours() {  # mode threads → one JSON line
  local opt
  case $1 in
    exact) opt=();;
    bf16) opt=(--activations bf16);;
    int8) opt=(--quant int8 --activations int8);;
  esac
  "$rwkv7" bench --model "$model" --threads "$2" --tokens 64 --prefill 256 "${opt[@]}" 2>/dev/null | tail -1
}
theirs() {  # gguf threads → one JSON array
  (cd /tmp && "$llama" -m "$1" -p 256 -n 64 -t "$2" -r 3 -o json 2>/dev/null) | tr -d "\n"
}
for round in $(seq 1 "$rounds"); do
  echo "{\"round\":$round,\"peak\":$("$peak")}" >>"$log"
  for t in $threads; do
    run_ours() { for mode in exact bf16 int8; do echo "{\"round\":$round,\"t\":$t,\"ours\":\"$mode\",\"r\":$(ours $mode "$t")}" >>"$log"; done; }
    run_theirs() {
      echo "{\"round\":$round,\"t\":$t,\"theirs\":\"BF16\",\"r\":$(theirs "$bf16" "$t")}" >>"$log"
      echo "{\"round\":$round,\"t\":$t,\"theirs\":\"Q8_0\",\"r\":$(theirs "$q8" "$t")}" >>"$log"
    }
    if [ $((round % 2)) = 1 ]; then run_ours; run_theirs; else run_theirs; run_ours; fi
  done
  echo "round $round of $rounds done" >&2
done
python3 - "$log" <<'PY'
import collections, json, statistics, sys
ours = collections.defaultdict(dict)    # (t, mode) -> round -> bench json
theirs = collections.defaultdict(dict)  # (t, type) -> round -> {"pp": tok/s, "tg": tok/s}
peaks = {}
for line in open(sys.argv[1]):
    x = json.loads(line)
    if "peak" in x:
        peaks[x["round"]] = x["peak"]
    elif "ours" in x:
        ours[(x["t"], x["ours"])][x["round"]] = x["r"]
    else:
        theirs[(x["t"], x["theirs"])][x["round"]] = {("pp" if e["n_prompt"] else "tg"): e["avg_ts"] for e in x["r"]}
peak_key = {"exact": "fp32_fma_gmac_s", "bf16": "bf16_dot_gmac_s", "int8": "int8_dot_gmac_s"}
rival = {"exact": "BF16", "bf16": "BF16", "int8": "Q8_0"}
names = {"exact": "exact (fp32 activations)", "bf16": "bf16 activations", "int8": "int8 weights + activations"}
rounds = sorted(peaks)
print(f"{len(rounds)} interleaved rounds; tok/s medians (range); ratio = median of per-round rwkv7/llama.cpp")
print("| threads | rwkv7 mode | vs llama.cpp | decode rwkv7 | decode llama.cpp | decode ratio | prefill rwkv7 | prefill llama.cpp | prefill ratio | prefill share of peak |")
print("|---|---|---|---|---|---|---|---|---|---|")
def fmt(values):
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"
for (t, mode) in sorted(ours, key=lambda k: (k[0], list(names).index(k[1]))):
    mine, other = ours[(t, mode)], theirs[(t, rival[mode])]
    common = [r for r in rounds if r in mine and r in other]
    row = [str(t), names[mode], "llama.cpp " + rival[mode]]
    for key, theirs_key in (("decode_tok_s", "tg"), ("prefill_tok_s", "pp")):
        a = [mine[r][key] for r in common]
        b = [other[r][theirs_key] for r in common]
        ratios = [x / y for x, y in zip(a, b)]
        row += [fmt(a), fmt(b), f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"]
    shares = [mine[r]["prefill_tok_s"] * mine[r]["prefill_matrix_macs_per_token"] / (1e9 * peaks[r][peak_key[mode]] * t)
              for r in common if peak_key[mode] in peaks[r]]
    row.append(f"{100 * statistics.median(shares):.0f}% of {t}× {statistics.median(p[peak_key[mode]] for p in peaks.values()):.0f} GMAC/s"
               if shares else "n/a")
    print("| " + " | ".join(row) + " |")
PY
