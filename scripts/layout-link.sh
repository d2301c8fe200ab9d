#!/usr/bin/env bash
# The linker of the gate's layout variants (`[replication] layouts` in
# perf-gate.toml; xtask/src/layouts.rs sets it with `-C linker=` on the
# harness binary only). It links as rustc asked, then relinks the same
# objects once per seed in $SCANNER_LAYOUT_SEEDS with lld's
# --shuffle-sections, writing $SCANNER_LAYOUT_OUT/harness.layout-<seed>.
# Every function is its own section (rustc's default on ELF), so each seed
# is another code layout of the same code: what a no-op change does to a
# build, sampled on purpose.
set -euo pipefail
cc=${SCANNER_LAYOUT_CC:-cc}
"$cc" "$@"
[ -n "${SCANNER_LAYOUT_SEEDS:-}" ] || exit 0
out=${SCANNER_LAYOUT_OUT:?SCANNER_LAYOUT_OUT names the folder of the variants}
args=("$@")
for seed in $SCANNER_LAYOUT_SEEDS; do
  relink=()
  skip=0
  for a in "${args[@]}"; do
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    if [ "$a" = "-o" ]; then skip=1; continue; fi
    relink+=("$a")
  done
  "$cc" "${relink[@]}" "-Wl,--shuffle-sections=*=$seed" -o "$out/harness.layout-$seed"
done
