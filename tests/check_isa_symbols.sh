#!/usr/bin/env bash
# Checks a program linked with rwkv7::dispatch for the failure STYLE R8 warns of: an inline function compiled
# in several ISA translation units, where the linker kept a wider copy than some caller may run. Every function
# outside an ISA namespace must use baseline instructions only (no VEX/EVEX: no v-mnemonics, ymm, zmm or mask
# registers); one inside rwkv7::…::isa_avx2 may use AVX2, one inside isa_avx512* AVX-512.
# Usage: check_isa_symbols.sh PROGRAM   (x86-64 ELF; needs objdump)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 PROGRAM" >&2; exit 2; }
objdump -d -C --no-show-raw-insn "$1" | awk '
  # The factories in src/dispatch_<isa>.cpp are entry points into their ISA, called only when the CPU has it.
  # xsimd templates instantiated for an architecture carry it in their name (xsimd::batch<float, xsimd::avx2>):
  # no narrower translation unit can instantiate that symbol, so it is as safe as a function in an ISA namespace.
  function level_of_name(n) {
    return n ~ /isa_avx512|make_cpu_engine_avx512|xsimd::avx512/ ? 3 : n ~ /isa_avx2|make_cpu_engine_avx2|xsimd::avx2|xsimd::fma3</ ? 2 : 1
  }
  /^[0-9a-f]+ <.*>:$/ { fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); allowed = level_of_name(fn); checked++; next }
  /^ +[0-9a-f]+:\t/ {
    split($0, part, "\t"); insn = part[2]
    used = (insn ~ /zmm|%k[0-7]/) ? 3 : (insn ~ /ymm/ || insn ~ /^v/) ? 2 : 1
    if (used > allowed && !(fn in bad)) { bad[fn] = insn; nbad++ }
  }
  END {
    for (f in bad) printf "wider than its ISA allows: %s\n    e.g. %s\n", f, bad[f]
    printf "%d functions checked, %d use instructions beyond their ISA\n", checked, nbad
    exit nbad > 0 || checked == 0
  }'
