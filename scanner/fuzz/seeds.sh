#!/bin/bash
# Regenerates the committed seed corpora (small: a few KiB each) from a tiny
# repository built here, the committed rules and the gate configuration.
# Usage: scanner/fuzz/seeds.sh (from anywhere).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$tmp" init -q -b main repo
cd "$tmp/repo"
git config user.name fuzz; git config user.email fuzz@example.invalid
mkdir -p dir/sub
printf 'alpha\n' > a.txt; printf 'bravo\n' > dir/b.txt; printf 'charlie\n' > dir/sub/c.txt
ln -s a.txt link
git add -A; git commit -qm one
for i in 1 2 3; do printf 'alpha %s\n' "$i" >> a.txt; printf 'line %s\n' "$i" >> dir/sub/c.txt; git add -A; git commit -qm "edit $i"; done
seed() { mkdir -p "$here/corpus/$1"; cp "$2" "$here/corpus/$1/$3"; }
# Loose objects, as stored.
n=0
for f in $(find .git/objects -type f -path '*/objects/??/*' | sort | head -6); do n=$((n+1)); seed loose_object "$f" "loose-$n"; done
# Raw trees (old, new pairs: first byte splits them).
for c in HEAD HEAD~1; do
  { printf '\x80'; git cat-file tree "$c~1^{tree}"; git cat-file tree "$c^{tree}"; } > "$tmp/t"; seed tree_diff "$tmp/t" "trees-${c/\~/-}"
done
# The pack body after its 12-byte header (the target adds header and trailer).
git repack -adq --depth=10
pack=$(ls .git/objects/pack/*.pack)
{ printf '\x01'; tail -c +13 "$pack" | head -c -20; } > "$tmp/p"; seed pack_decode "$tmp/p" small-pack
# Commit bodies, as the scan parses them.
for c in HEAD HEAD~1 HEAD~3; do git cat-file commit "$c" > "$tmp/c"; seed commit_parse "$tmp/c" "commit-${c/\~/-}"; done
# The index files the scan trusts (first byte: 0 .idx, 1 multi-pack-index,
# 2 commit-graph).
git multi-pack-index write; git commit-graph write --reachable
{ printf '\x00'; cat .git/objects/pack/*.idx; } > "$tmp/x"; seed repo_indexes "$tmp/x" idx
{ printf '\x01'; cat .git/objects/pack/multi-pack-index; } > "$tmp/x"; seed repo_indexes "$tmp/x" multi-pack-index
{ printf '\x02'; cat .git/objects/info/commit-graph; } > "$tmp/x"; seed repo_indexes "$tmp/x" commit-graph
# Deltas: split byte, base, delta made by a real pack are in pack_decode;
# here a hand-made copy + insert.
printf '\x0bhello world\x0b\x0b\x90\x06\x05there' > "$tmp/d"; seed delta_apply "$tmp/d" copy-insert
for f in "$root"/scanner/rules/*.toml; do seed rules_toml "$f" "$(basename "$f")"; done
printf '# ignore\n**/fixtures/**\nsecret.txt\n' > "$tmp/i"; seed suppressions "$tmp/i" ignore
seed harness_documents "$root/perf-gate.toml" perf-gate.toml
printf '{"Measure":{"stratum":"small"}}\n' > "$tmp/h"; seed harness_documents "$tmp/h" serve-line
echo "seeds written to $here/corpus"
