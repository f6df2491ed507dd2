# What the paper experiments (exp-compute-matched, exp-code-mix, exp-objectives) share: one data
# directory built by st-tasks, held-out slices of the two corpora, and settings stamps. Included by each
# mk/exp-*.mk file (and by `-include mk/*.mk`); the guard makes a second inclusion a no-op.
ifndef EXP_COMMON_MK
EXP_COMMON_MK := 1

# QUICK=1 selects each experiment's miniature settings (a few minutes) and its own output directory.
QUICK          ?=
EXP_SEED       ?= 1
EXP_TASK_FLAGS ?= --seed-size 1000 --max-difficulty 3 --corpus-bytes 1500000 --funcs-test 100
# Every 10th corpus document is held out (for held-out losses); the rest is what pre-training sees.
EXP_HOLDOUT    ?= 10
EXP_DATA       ?= out/exp-data
XD             := $(EXP_DATA)/data

# $(call exp_target,NAME,OUT,TABLES,PLOTS): the phony target NAME builds OUT/results.json in a sub-make of
# its own (QUICK passed on), then prints TABLES and says where the outputs are.
define exp_target
.PHONY: $(1)
$(1): build
	@$$(MAKE) --no-print-directory $(2)/results.json QUICK=$$(QUICK)
	@cat $(3)
	@echo "$(1): tables $(3), plots $(4), JSON $(2)/results.json"
endef

# $(call made_by_arms,PATTERNS,NAME): files made by experiment NAME's sub-makes (one rounds run per arm) or by
# an earlier step of its recipe, for which the make that needs them has no rule. This one lets `make -n NAME`
# print the whole plan; in a real run every such file exists by the time it is needed, and a missing one is an
# error naming it.
define made_by_arm
$(1):
	@echo "$$@: missing; an earlier step of $(2) makes it" >&2; exit 1
endef
made_by_arms = $(foreach p,$(1),$(eval $(call made_by_arm,$(p),$(2))))

# Each experiment writes this stamp (with its own) when one of its goals is asked for.
exp_data_stamp = $(call settings_stamp,$(EXP_DATA),data,$(EXP_SEED) $(EXP_TASK_FLAGS) $(EXP_HOLDOUT))

$(XD)/MANIFEST.json: $(BIN)/st-tasks $(EXP_DATA)/.settings/data
	st-tasks -o $(XD) --seed $(EXP_SEED) $(EXP_TASK_FLAGS)

# Held-out slices: document i goes to heldout when i % EXP_HOLDOUT == 0, else to train.
$(EXP_DATA)/%-train.jsonl.zst: $(XD)/MANIFEST.json
	zstdcat $(XD)/corpus-$*.jsonl.zst | awk 'NR % $(EXP_HOLDOUT) != 1' | zstd -q -o $@.tmp && mv $@.tmp $@
$(EXP_DATA)/%-heldout.jsonl.zst: $(XD)/MANIFEST.json
	zstdcat $(XD)/corpus-$*.jsonl.zst | awk 'NR % $(EXP_HOLDOUT) == 1' | zstd -q -o $@.tmp && mv $@.tmp $@
.PRECIOUS: $(EXP_DATA)/%-train.jsonl.zst $(EXP_DATA)/%-heldout.jsonl.zst

# Pre-training mixtures: corpus-P holds P percent code documents and as many documents in all as the text
# slice, drawn with replacement by st-mix; training then reads the same number of tokens whatever P (equal
# steps, batch and context). corpus-25 is also make rounds' default mixture.
$(EXP_DATA)/corpus-%.jsonl.zst: $(EXP_DATA)/text-train.jsonl.zst $(EXP_DATA)/code-train.jsonl.zst $(BIN)/st-mix
	st-mix $(EXP_DATA)/text-train.jsonl.zst:$$(awk 'BEGIN { print (100 - $*) / 100 }') \
	  $(if $(filter 0,$*),,$(EXP_DATA)/code-train.jsonl.zst:$$(awk 'BEGIN { print $* / 100 }')) \
	  --total $$(zstdcat $(EXP_DATA)/text-train.jsonl.zst | wc -l) --replacement --seed $(EXP_SEED) -q -o $@
.PRECIOUS: $(EXP_DATA)/corpus-%.jsonl.zst

# Infilling problems from the function tasks: the body of each function removed. prefix = signature and
# docstring, the middle to fill = the body, suffix = the rest of the file as the code corpus lays it out
# (the tests and the call of check). st-verify's humaneval runner executes prompt (= prefix) + completion
# (= the middle) + test + check(entry_point): the program prefix + middle + suffix.
$(EXP_DATA)/infill-%.jsonl.zst: $(XD)/MANIFEST.json
	zstdcat $(XD)/funcs-$*.jsonl.zst | jq -c '. + {prefix: .prompt, suffix: ("\n\n" + .test + "\ncheck(" + .entry_point + ")\n")}' \
	  | zstd -q -o $@.tmp && mv $@.tmp $@

endif
