# Experiment 5 (EXPERIMENTS.md), CodeGen2's objectives: three models pre-trained from scratch on the code corpus
# at equal tokens (same steps, batch and context), differing only in st-train's --objective:
#   causal      plain left-to-right
#   fim         causal and CodeGen2 infilling mixed per document (OBJ_FIM_MIX)
#   prefix-lm   a random cut of each document attended bidirectionally, causal after it (sampled with
#               st-sample --prefix-lm: the prompt attended bidirectionally)
# Each is measured on the held-out function tasks (funcs-test): left-to-right pass rate (st-sample's
# humaneval method: the signature and docstring, complete the body) and infill pass rate (st-sample's infill
# method: the body removed, prefix and suffix given), greedy and OBJ_N samples, both run by st-verify;
# and its loss on held-out code documents (st-eval --loss).
#   OUT/<arm>/model/              st-train
#   OUT/<arm>/l2r-verified.jsonl.zst, infill-verified.jsonl.zst, loss.json
#   OUT/results.json, results.txt, results.svg, loss.txt     st-eval over the arms
include $(dir $(lastword $(MAKEFILE_LIST)))exp-common.mk

OBJ_ARMS     := causal fim prefix-lm
OBJ_FIM_MIX  ?= causal:0.5,fim:0.5
ifeq ($(QUICK),1)
OBJ_OUT      ?= out/exp-objectives-quick
OBJ_HIDDEN   ?= 64
OBJ_LAYERS   ?= 2
OBJ_HEADS    ?= 2
OBJ_CONTEXT  ?= 256
OBJ_STEPS    ?= 1500
OBJ_N        ?= 4
else
OBJ_OUT      ?= out/exp-objectives
OBJ_HIDDEN   ?= 128
OBJ_LAYERS   ?= 4
OBJ_HEADS    ?= 4
OBJ_CONTEXT  ?= 512
OBJ_STEPS    ?= 2000
OBJ_N        ?= 10
endif
OBJ_BATCH    ?= 8
OBJ_LR       ?= 3e-3
OBJ_TEMP     ?= 0.8
OBJ_MAX_TOKENS ?= 96

objective_of = $(if $(filter fim,$(1)),$(OBJ_FIM_MIX),$(1))
# the prefix-LM model decodes with its prompt attended bidirectionally, as it was trained
decode_of = $(if $(filter prefix-lm,$(1)),--prefix-lm)

ifneq ($(filter exp-objectives $(OBJ_OUT)/%,$(MAKECMDGOALS)),)
$(exp_data_stamp)
$(call settings_stamp,$(OBJ_OUT),train,$(OBJ_HIDDEN) $(OBJ_LAYERS) $(OBJ_HEADS) $(OBJ_CONTEXT) $(OBJ_BATCH) $(OBJ_STEPS) $(OBJ_LR) $(OBJ_FIM_MIX) $(EXP_SEED))
$(call settings_stamp,$(OBJ_OUT),sample,$(OBJ_N) $(OBJ_TEMP) $(OBJ_MAX_TOKENS) $(EXP_SEED))
endif

## exp-objectives: experiment 5, CodeGen2: causal vs causal+FIM vs prefix-LM at equal tokens; QUICK=1: minutes
$(eval $(call exp_target,exp-objectives,$(OBJ_OUT),$(OBJ_OUT)/results.txt $(OBJ_OUT)/loss.txt,$(OBJ_OUT)/results.svg))

define obj_arm
$(OBJ_OUT)/$(1)/model/config.json: $(EXP_DATA)/code-train.jsonl.zst $(BIN)/st-train $(OBJ_OUT)/.settings/train
	@mkdir -p $(OBJ_OUT)/$(1)
	st-train $$< --objective $(call objective_of,$(1)) --hidden $(OBJ_HIDDEN) --layers $(OBJ_LAYERS) --heads $(OBJ_HEADS) \
	  --context $(OBJ_CONTEXT) --batch $(OBJ_BATCH) --steps $(OBJ_STEPS) --lr $(OBJ_LR) --warmup 30 --seed $(EXP_SEED) \
	  -q -o $(OBJ_OUT)/$(1)/model
# left to right: greedy, then OBJ_N samples (one file, one run for st-eval)
$(OBJ_OUT)/$(1)/l2r.jsonl.zst: $(XD)/MANIFEST.json $(OBJ_OUT)/$(1)/model/config.json $(OBJ_OUT)/.settings/sample
	st-sample $(XD)/funcs-test.jsonl.zst --model $(OBJ_OUT)/$(1)/model $(call decode_of,$(1)) --method humaneval -n 1 --temperature 0 \
	  --max-tokens $(OBJ_MAX_TOKENS) -q -o $(OBJ_OUT)/$(1)/l2r-greedy.jsonl.zst
	st-sample $(XD)/funcs-test.jsonl.zst --model $(OBJ_OUT)/$(1)/model $(call decode_of,$(1)) --method humaneval -n $(OBJ_N) \
	  --temperature $(OBJ_TEMP) --max-tokens $(OBJ_MAX_TOKENS) --seed $(EXP_SEED) -q -o $(OBJ_OUT)/$(1)/l2r-sampled.jsonl.zst
	cat $(OBJ_OUT)/$(1)/l2r-greedy.jsonl.zst $(OBJ_OUT)/$(1)/l2r-sampled.jsonl.zst > $$@.tmp && mv $$@.tmp $$@
$(OBJ_OUT)/$(1)/infill.jsonl.zst: $(EXP_DATA)/infill-test.jsonl.zst $(OBJ_OUT)/$(1)/model/config.json $(OBJ_OUT)/.settings/sample
	st-sample $$< --model $(OBJ_OUT)/$(1)/model $(call decode_of,$(1)) --method infill -n 1 --temperature 0 \
	  --max-tokens $(OBJ_MAX_TOKENS) -q -o $(OBJ_OUT)/$(1)/infill-greedy.jsonl.zst
	st-sample $$< --model $(OBJ_OUT)/$(1)/model $(call decode_of,$(1)) --method infill -n $(OBJ_N) \
	  --temperature $(OBJ_TEMP) --max-tokens $(OBJ_MAX_TOKENS) --seed $(EXP_SEED) -q -o $(OBJ_OUT)/$(1)/infill-sampled.jsonl.zst
	cat $(OBJ_OUT)/$(1)/infill-greedy.jsonl.zst $(OBJ_OUT)/$(1)/infill-sampled.jsonl.zst > $$@.tmp && mv $$@.tmp $$@
$(OBJ_OUT)/$(1)/%-verified.jsonl.zst: $(OBJ_OUT)/$(1)/%.jsonl.zst
	st-verify $$< -q -o $$@
$(OBJ_OUT)/$(1)/loss.json: $(EXP_DATA)/code-heldout.jsonl.zst $(OBJ_OUT)/$(1)/model/config.json
	st-eval --loss $$< --model $(OBJ_OUT)/$(1)/model --context $(OBJ_CONTEXT) --batch $(OBJ_BATCH) -q -o $$@
endef
$(foreach a,$(OBJ_ARMS),$(eval $(call obj_arm,$(a))))

OBJ_VERIFIED := $(foreach a,$(OBJ_ARMS),$(OBJ_OUT)/$(a)/l2r-verified.jsonl.zst $(OBJ_OUT)/$(a)/infill-verified.jsonl.zst)
# One st-eval run per arm (its l2r and infill files under one label): method=humaneval is the left-to-right
# pass rate, method=infill the infill pass rate; differences against causal are paired over problems.
$(OBJ_OUT)/results.json: $(OBJ_VERIFIED) $(foreach a,$(OBJ_ARMS),$(OBJ_OUT)/$(a)/loss.json)
	st-eval $(foreach a,$(OBJ_ARMS),$(a)=$(OBJ_OUT)/$(a)/l2r-verified.jsonl.zst $(a)=$(OBJ_OUT)/$(a)/infill-verified.jsonl.zst) \
	  --k 1,$(OBJ_N) --table --plot $(OBJ_OUT)/results.svg --plot-metrics greedy,pass@1,pass@$(OBJ_N) \
	  -o $@.tmp.json > $(OBJ_OUT)/results.txt
	{ printf '%-10s %12s %10s\n' arm loss_code perplexity; \
	  for a in $(OBJ_ARMS); do jq -r --arg a $$a '"\($$a) \(.loss) \(.perplexity)"' $(OBJ_OUT)/$$a/loss.json; done \
	    | awk '{ printf "%-10s %12.4f %10.3f\n", $$1, $$2, $$3 }'; } > $(OBJ_OUT)/loss.txt
	mv $@.tmp.json $@
