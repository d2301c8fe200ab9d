#!/usr/bin/env python3
"""Lists import cycles between the top-level modules of each crate.

Reads every `crate::MODULE` path and `use super::MODULE` outside comments
and `#[cfg(test)]` blocks, and reports each cycle in the module graph.
Exit status 1 when any crate has one. Run from the workspace root:
`scripts/module_cycles.py`. No crate has one; CI keeps it that way.
"""
import glob
import os
import re
import sys

# (folder, the path its modules are named by): crates' roots, and folders
# of submodules (`scanner/src/git`, whose modules are `crate::git::X`).
ROOTS = [("scanner/src", "crate::"), ("scanner/src/git", "crate::git::"),
         ("scanner/src/git/odb", "crate::git::odb::"),
         ("scanner/src/detect", "crate::detect::"), ("corpora/src", "crate::"),
         ("harness/src", "crate::"), ("harness/model/src", "crate::"),
         ("harness/analysis/src", "crate::"), ("harness/report/src", "crate::"),
         ("harness/history/src", "crate::"), ("xtask/src", "crate::")]


def graph(root, prefix):
    mods = {}
    for f in glob.glob(root + "/**/*.rs", recursive=True):
        top = os.path.relpath(f, root).removesuffix(".rs").split("/")[0]
        if top in ("lib", "main", "mod"):
            continue
        src = open(f, encoding="utf-8").read().split("#[cfg(test)]")[0]
        src = "\n".join(l for l in src.split("\n") if not l.strip().startswith("//"))
        deps = set(re.findall(re.escape(prefix) + r"([a-z_]+)", src))
        deps |= set(re.findall(r"use super::([a-z_]+)", src))
        mods.setdefault(top, set()).update(d for d in deps if d != top)
    return mods


def cycles(mods):
    found = set()

    def dfs(node, stack):
        for d in sorted(mods.get(node, ())):
            if d in stack:
                cyc = stack[stack.index(d):]
                k = cyc.index(min(cyc))
                found.add(tuple(cyc[k:] + cyc[:k]))
            elif d in mods and len(stack) < 32:
                dfs(d, stack + [d])

    for m in sorted(mods):
        dfs(m, [m])
    return sorted(found)


bad = False
for root, prefix in ROOTS:
    if not os.path.isdir(root):
        continue
    for c in cycles(graph(root, prefix)):
        bad = True
        print(f"{root}: {' -> '.join(c + (c[0],))}")
print("module cycles: " + ("found" if bad else "none"))
sys.exit(1 if bad else 0)
