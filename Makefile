# st — self-training toolchain. `make` builds and runs the default demo (`make real`: one self-training round of
# SmolLM2-135M-Instruct, ~6 min); `make test` runs every test.
# `make help` lists targets and variables.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := all

SWIFT    ?= swift
# PORTABLE=1 builds for any x86-64/arm64 CPU instead of this machine's vector units (AVX2/FMA/AVX-512).
PORTABLE ?= 0
ifeq ($(PORTABLE),0)
CPU_FLAGS := -Xswiftc -target-cpu -Xswiftc native -Xcc -march=native
endif
# Nothing here picks OpenBLAS's kernels: the tools choose them themselves (Tensor's upgradeBLASCore), so a
# shell and make give the same bytes and the same speed.
# -enable-testing lets the unit tests use @testable imports against the same release build the tools use.
BUILD_FLAGS := -c release -Xswiftc -enable-testing $(CPU_FLAGS)
BIN      := $(CURDIR)/.build/release
TOOLS    := st-sample st-verify st-filter st-mix st-train st-eval st-tasks
export PATH := $(BIN):$(PATH)

# Debian packages the build and the tests need, as "command-or-pkgconfig:package".
DEB_NEEDS := pc:libzstd:libzstd-dev cmd:zstd:zstd cmd:jq:jq cmd:bwrap:bubblewrap cmd:rsvg-convert:librsvg2-bin \
             cmd:python3:python3

.PHONY: all build deps test unit-test e2e-test man check-man demo bench help clean
# the real-model round fits in 10 minutes on 2 cores, so it is what `make` runs; `make demo` is st's own small model
all: real

## deps: install missing Debian packages (as root), or print the exact command to run
deps:
	@missing=""; for need in $(DEB_NEEDS); do \
	  kind=$${need%%:*}; rest=$${need#*:}; what=$${rest%%:*}; pkg=$${rest#*:}; \
	  if [ $$kind = pc ]; then pkg-config --exists $$what 2>/dev/null || missing="$$missing $$pkg"; \
	  else command -v $$what >/dev/null 2>&1 || missing="$$missing $$pkg"; fi; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else echo "make: missing Debian packages; run: sudo apt-get install -y$$missing" >&2; exit 1; fi; \
	fi

## build: compile every tool (release, tuned for this CPU unless PORTABLE=1)
build: deps
	$(SWIFT) build $(BUILD_FLAGS)

## test: unit tests, end-to-end tests through the built tools, and the man-page check
test: build unit-test e2e-test check-man

unit-test: build
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build

e2e-test: build models
	@ST_SMOLLM2_GGUF=$(SMOLLM2) bash Tests/e2e/run.sh

## man: regenerate man/man1/*.1 from the tools' --help definitions
man: build
	@for t in $(TOOLS); do $(BIN)/st-man $(BIN)/$$t > man/man1/$$t.1.tmp && mv man/man1/$$t.1.tmp man/man1/$$t.1; done

## check-man: fail when a committed man page is out of date with the code
check-man: build
	@for t in $(TOOLS); do \
	  $(BIN)/st-man $(BIN)/$$t | diff -q - man/man1/$$t.1 >/dev/null || \
	  { echo "man/man1/$$t.1 is out of date: run 'make man'" >&2; exit 1; }; done; echo "man pages up to date"

## demo: st's own ~1.1M model: one self-training round on a story family the seed set never shows (~8 min; make rounds)
demo: build
	@$(MAKE) --no-print-directory rounds
	@echo "demo: every file is under $(RUN)/ (zstdcat FILE | jq); the table above is $(RUN)/rounds.json, the plot $(RUN)/rounds.svg"

## demo-data: the data-plane demo: st-filter and st-mix on synthetic verified samples (seconds)
demo-data: build
	@$(MAKE) --no-print-directory demo-files
	@bash scripts/demo-report.sh $(DEMO)

# The data-plane demo is a chain of file targets: samples -> kept -> deduped -> mix. Re-running rebuilds only
# what changed; every step writes under a temporary name, so an interrupted run leaves nothing half-made.
DEMO       := out/demo-data
DEMO_N     ?= 4096
DEMO_CAP   ?= 4
SEED       ?= 1
.PHONY: demo-files demo-data
demo-files: $(DEMO)/mix.jsonl.zst

$(DEMO)/samples.jsonl.zst: data/synthetic-samples.awk
	@mkdir -p $(DEMO)
	awk -v N=$(DEMO_N) -v SEED=$(SEED) -f $< | zstd -q -o $@.tmp && mv $@.tmp $@
$(DEMO)/kept.jsonl.zst: $(DEMO)/samples.jsonl.zst $(BIN)/st-filter
	st-filter --where 'verdict == "pass" and steps_ok' --by id --cap $(DEMO_CAP) --cap-pick random --seed $(SEED) $< -o $@
$(DEMO)/rft.jsonl.zst: $(DEMO)/samples.jsonl.zst $(BIN)/st-filter
	st-filter --where 'verdict == "pass"' --by id --dedup-equations completion $< -o $@
$(DEMO)/mix.jsonl.zst: $(DEMO)/kept.jsonl.zst $(DEMO)/rft.jsonl.zst $(BIN)/st-mix
	st-mix $(DEMO)/kept.jsonl.zst:0.5 $(DEMO)/rft.jsonl.zst:0.5 --total 1000 --tag source --seed $(SEED) -q -o $@

## bench: speed benchmarks (bench/*.sh; the real-model one needs `models`); results go to BENCHMARKS.md by hand
bench: build models
	@for f in bench/*.sh; do TORCH_PYTHON=$(TORCH_PYTHON) bash $$f || exit 1; done

## check-full: the heavy checks make test leaves out (full MBPP conformance, transformers round trip)
.PHONY: check-full
check-full: build

## help: list targets and variables
help:
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'
	@echo "variables: PORTABLE=1 (build for any CPU), SWIFT=swift"

clean:
	rm -rf .build out

# $(call settings_stamp,DIR,NAME,TEXT): DIR/.settings/NAME holds TEXT, rewritten only when TEXT changes, so a
# target that depends on it rebuilds exactly when its settings change; its time is the last change of those
# settings, and `make -q` answers whether anything is out of date. Called when make reads the mk/ files.
settings_stamp = $(shell mkdir -p $(1)/.settings && printf '%s\n' '$(3)' > $(1)/.settings/$(2).tmp && \
                   { cmp -s $(1)/.settings/$(2).tmp $(1)/.settings/$(2) && rm -f $(1)/.settings/$(2).tmp || \
                     mv $(1)/.settings/$(2).tmp $(1)/.settings/$(2); })

-include mk/*.mk
