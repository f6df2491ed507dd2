# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of the parsers that read untrusted text.
# Each target is Fuzz/<target>.swift (an LLVMFuzzerTestOneInput) linked with the Swift modules it names
# below, compiled straight with swiftc, since SwiftPM cannot build some modules with other sanitizers.
# `make fuzz` runs every target for FUZZ_SECONDS each; `make fuzz-<target>` one; FUZZ_RUNS=N stops after
# N inputs instead. Work (binaries, grown corpora, crash files) goes under out/fuzz. See docs/fuzzing.md.
#
# The registry: one line per target, FUZZ_TARGET_<target> := the modules it needs, imports first.
FUZZ_TARGET_json   := Base
FUZZ_TARGET_where  := Base Streams MathText Filter
FUZZ_TARGET_method := Base Streams Sample
FUZZ_TARGET_tokenizer := Base Streams Tokenizers
FUZZ_TARGET_tokenizer-text := Base Streams Tokenizers
FUZZ_TARGET_chat := ChatTemplate
# Where a module's sources are not all of Sources/<Module>/*.swift: Sample's engine pulls in the model and
# BLAS, which the template code does not use.
FUZZ_SRC_Sample    := Sources/Sample/Methods.swift
# A target's own flags, after FUZZ_FLAGS (the later value wins). tokenizer-text: texts need no 4 KB (each
# costs its length in encode and streaming decode under ASan), so mutations stay cheap.
FUZZ_FLAGS_tokenizer-text := -max_len=512

FUZZ_TARGETS := $(sort $(patsubst FUZZ_TARGET_%,%,$(filter FUZZ_TARGET_%,$(.VARIABLES))))
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= -1
FUZZ_FLAGS   ?= -max_len=4096 -timeout=10 -rss_limit_mb=2048
FUZZ_DIR     := out/fuzz
FUZZ_BUILD   := $(FUZZ_DIR)/build
FUZZ_SWIFTC  := swiftc -O -parse-as-library -sanitize=fuzzer,address -enable-testing -package-name st \
                -I $(FUZZ_BUILD) -I Sources/CZstd -I Sources/CBLAS
FUZZ_LDLIBS  := -lzstd -use-ld=lld

fuzz_rparen := )
fuzz_sources = $(or $(FUZZ_SRC_$(1)),$(wildcard Sources/$(1)/*.swift))
# $(call fuzz_before,M,LIST): the words of LIST before M.
fuzz_before = $(if $(filter $(1),$(firstword $(2))),,$(firstword $(2)) $(call fuzz_before,$(1),$(wordlist 2,$(words $(2)),$(2))))

.PHONY: fuzz fuzz-build fuzz-smoke check-full $(addprefix fuzz-,$(FUZZ_TARGETS))
## fuzz: run every fuzz target for FUZZ_SECONDS each (default 60; FUZZ_RUNS=N for a count); not in make test
fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))
fuzz-build: $(addprefix $(FUZZ_BUILD)/fuzz-,$(FUZZ_TARGETS))
## fuzz-smoke: build every fuzz target and run it once over its committed corpus (no mutation)
fuzz-smoke: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  dict=; [ -f Fuzz/$$t.dict ] && dict=-dict=Fuzz/$$t.dict; \
	  extra=; case $$t in $(foreach t,$(FUZZ_TARGETS),$(t)$(fuzz_rparen) extra='$(FUZZ_FLAGS_$(t))';;) esac; \
	  seeds=; [ -d Fuzz/corpus/$$t ] && seeds=Fuzz/corpus/$$t; \
	  SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/fuzz-$$t -runs=0 $(FUZZ_FLAGS) $$extra $$dict $$seeds >$(FUZZ_DIR)/$$t-smoke.log 2>&1 || \
	    { tail -40 $(FUZZ_DIR)/$$t-smoke.log >&2; exit 1; }; \
	  echo "fuzz-$$t: $$(ls $${seeds:-/dev/null} 2>/dev/null | wc -l) committed inputs run clean"; \
	done
check-full: fuzz-smoke

# $(call fuzz_module_rules,TARGET): each module of TARGET is built after the modules listed before it.
define fuzz_module_rules
$(FUZZ_BUILD)/fuzz-$(1): Fuzz/$(1).swift $(foreach m,$(FUZZ_TARGET_$(1)),$(FUZZ_BUILD)/$(m).o)
	$(FUZZ_SWIFTC) -module-name fuzz_$(subst -,_,$(1)) $(CURDIR)/$$< $(foreach m,$(FUZZ_TARGET_$(1)),$(FUZZ_BUILD)/$(m).o) \
	  $(FUZZ_LDLIBS) -o $$@
$(foreach m,$(FUZZ_TARGET_$(1)),$(eval $(FUZZ_BUILD)/$(m).o: $(call fuzz_sources,$(m)) \
  $(patsubst %,$(FUZZ_BUILD)/%.o,$(call fuzz_before,$(m),$(FUZZ_TARGET_$(1))))))
fuzz-$(1): $(FUZZ_BUILD)/fuzz-$(1)
	@mkdir -p $(FUZZ_DIR)/$(1)/corpus $(FUZZ_DIR)/$(1)/crashes
	cd $(FUZZ_DIR)/$(1) && SWIFT_BACKTRACE=enable=no nice -n 10 ../build/fuzz-$(1) -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) \
	  $(FUZZ_FLAGS) $(FUZZ_FLAGS_$(1)) -print_final_stats=1 -artifact_prefix=crashes/ \
	  $(if $(wildcard Fuzz/$(1).dict),-dict=$(CURDIR)/Fuzz/$(1).dict) corpus $(wildcard $(CURDIR)/Fuzz/corpus/$(1)) \
	  2>&1 | tee fuzz.log | { grep -E '^#[0-9]+[[:space:]]+(DONE|pulse)|^(stat::|==|SUMMARY|artifact)' || true; }
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_module_rules,$(t))))

# One module: a single object file plus its .swiftmodule for the modules and harnesses that import it.
$(FUZZ_BUILD)/%.o:
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_SWIFTC) -module-name $* -wmo -emit-module -emit-module-path $(FUZZ_BUILD)/$*.swiftmodule \
	  -c $(call fuzz_sources,$*) -o $@
	@touch $@   # swiftc leaves an unchanged object's old time, which would make it look stale forever
