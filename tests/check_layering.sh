#!/bin/bash
# The include graph follows the data flow (docs/architecture.md): no header reaches, even indirectly, into a
# stage after its own. For each folder, every header is preprocessed alone (-H lists everything it pulls in)
# and must not pull in the folders listed against it.
#   check_layering.sh CXX INCLUDE_DIR [extra compiler flags...]
set -u
cxx=$1 inc=$2
shift 2
flags=("$@")
declare -A forbidden=(
  [io]="model quant kernels backend reference generate tokenizer"
  [model]="quant kernels backend reference generate tokenizer"
  [quant]="kernels backend reference generate tokenizer"
  [kernels]="model backend reference generate tokenizer"
  [backend]="reference generate tokenizer"
  [reference]="kernels backend generate tokenizer"
  [tokenizer]="model quant kernels backend reference generate"
)
inc=$(realpath "$inc")
# The library headers a header pulls in, as paths below $inc ("../" resolved), e.g. rwkv7/model/weights.hpp.
included() {
  "$cxx" -std=c++20 "${flags[@]}" -I"$inc" -H -fsyntax-only -x c++ "$1" 2>&1 >/dev/null | sed -n 's/^\.\+ //p' |
    xargs -r realpath -m | sed -n "s|^$inc/||p" | sort -u
}
bad=0 checked=0
for dir in "${!forbidden[@]}"; do
  for header in "$inc"/rwkv7/"$dir"/*.hpp "$inc"/rwkv7/"$dir"/*/*.hpp; do
    [ -f "$header" ] || continue
    checked=$((checked + 1))
    pulled=$(included "$header")
    for stage in ${forbidden[$dir]}; do
      hits=$(grep "^rwkv7/$stage/" <<<"$pulled")
      if [ -n "$hits" ]; then
        echo "FAIL: ${header#$inc/} ($dir) pulls in $stage: $(tr '\n' ' ' <<<"$hits")"
        bad=1
      fi
    done
    # backend/ and kernels/ never see the public Model either.
    if [[ $dir == kernels || $dir == backend ]] && grep -qx 'rwkv7/model\.hpp' <<<"$pulled"; then
      echo "FAIL: ${header#$inc/} pulls in rwkv7/model.hpp"
      bad=1
    fi
  done
done
echo "checked $checked headers"
[ "$checked" -gt 30 ] || { echo "FAIL: expected more than 30 headers under $inc/rwkv7"; exit 1; }
exit $bad
