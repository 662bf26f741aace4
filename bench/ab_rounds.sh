#!/usr/bin/env bash
# Interleaved A/B rounds of `rwkv7 bench` between two builds of the CLI (e.g. the commit before a change and after):
# each round runs every mode and thread count once per build, alternating which build goes first, and the summary
# gives each build's median and the median of the per-round ratios (the figure a speed goal is judged by).
#   bench/ab_rounds.sh OLD_RWKV7 NEW_RWKV7 MODEL [ROUNDS=6] [THREADS="1 2"]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OLD_RWKV7 NEW_RWKV7 MODEL [ROUNDS] [THREADS]" >&2; exit 2; }
old=$1 new=$2 model=$3 rounds=${4:-6} threads=${5:-"1 2"}
log=$(mktemp)
for round in $(seq 1 "$rounds"); do
  for mode in exact bf16act int8; do
    case $mode in exact) opt=();; bf16act) opt=(--activations bf16);; int8) opt=(--quant int8);; esac
    for t in $threads; do
      if [ $((round % 2)) = 1 ]; then order="old new"; else order="new old"; fi
      for which in $order; do
        bin=$old; [ "$which" = new ] && bin=$new
        json=$("$bin" bench --model "$model" --threads "$t" --tokens 64 --prefill 256 "${opt[@]}" 2>/dev/null | tail -1)
        echo "{\"mode\":\"$mode\",\"t\":$t,\"which\":\"$which\",\"r\":$json}" >>"$log"
      done
    done
  done
  echo "round $round of $rounds done" >&2
done
python3 - "$log" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    x = json.loads(line)
    runs[(x["mode"], x["t"])][x["which"]].append(x["r"])
print("mode     threads  metric    old median  new median  new/old: median of round ratios (min..max)")
for (mode, t), v in sorted(runs.items()):
    for key, label in (("decode_tok_s", "decode"), ("prefill_tok_s", "prefill")):
        old = [r[key] for r in v["old"]]
        new = [r[key] for r in v["new"]]
        ratios = [b / a for a, b in zip(old, new)]
        print(f"{mode:8s} {t:7d}  {label:8s} {statistics.median(old):11.1f} {statistics.median(new):11.1f}  "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}..{max(ratios):.3f})")
PY
rm -f "$log"
