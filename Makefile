# Every target forwards to cargo or `cargo xtask`; the logic lives in Rust.
# `make bench` is the main job, `make test` the test suite (what .ci/run runs).

CARGO ?= cargo
BASE ?= origin/main
HEAD ?= HEAD

.PHONY: setup bench test corpora compare report lint fuzz

setup:
	scripts/setup.sh

# `make bench QUICK=1` skips the stage microbenchmarks.
bench: setup
	$(CARGO) xtask bench $(if $(QUICK),--no-micro,)

test: setup
	$(CARGO) test --workspace --locked

# `make fuzz FUZZ_TIME=300` runs every fuzz target that long (seconds each);
# it installs nightly and cargo-fuzz first (docs/reliability.md).
FUZZ_TIME ?= 60
fuzz: setup
	scripts/setup.sh --fuzz
	$(CARGO) xtask fuzz --time $(FUZZ_TIME)

corpora: setup
	$(CARGO) xtask corpora

compare: setup
	$(CARGO) xtask bench-compare $(BASE) $(HEAD)

report: setup
	$(CARGO) xtask report

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	# The library as users build it: without the `internals` feature that
	# the crate's own tests and benches turn on.
	$(CARGO) clippy -p scanner --lib --locked -- -D warnings
