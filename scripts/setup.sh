#!/usr/bin/env bash
# Installs what the project needs and the machine lacks. Idempotent: on a
# machine that has everything it only checks. Called by `make setup` (and so
# by every make target) and by .ci/run.
set -euo pipefail

need_apt=()
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
# The instruction-count microbenchmarks (gungraun) run under callgrind.
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)

if ((${#need_apt[@]})); then
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing; install the Rust toolchain (rustup, Rust >= 1.95) first" >&2
  exit 1
fi

# The corpora generator needs multi-pack-index and commit-graph support (git >= 2.34).
git_version=$(git --version | awk '{print $3}')
if ! printf '2.34\n%s\n' "$git_version" | sort -V -C; then
  echo "setup: git $git_version is too old; 2.34 or newer is required" >&2
  exit 1
fi

# gungraun's runner must be exactly the version of the gungraun library the
# benchmarks use (Cargo.lock); installing it builds it once (about 2 min).
gungraun_version=0.20.0
if [ "$(gungraun-runner --version 2>/dev/null | awk '{print $2}')" != "$gungraun_version" ]; then
  echo "setup: installing gungraun-runner $gungraun_version" >&2
  cargo install gungraun-runner --version "$gungraun_version" --locked
fi

# Fuzzing only (`scripts/setup.sh --fuzz`, run by `make fuzz`): cargo fuzz
# and the nightly toolchain libFuzzer's instrumentation needs. The stable
# build and the tests never need either.
if [ "${1:-}" = "--fuzz" ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    echo "setup: installing the nightly toolchain for fuzzing" >&2
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "setup: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
  fi
fi
