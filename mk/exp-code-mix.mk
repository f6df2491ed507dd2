# Experiment 4 (EXPERIMENTS.md), "To Code, or Not To Code?": base models pre-trained from scratch on text/code
# mixtures with CX_SHARES percent code at equal tokens (same steps, batch, context), and two cooldowns of
# the CX_COOL_FROM base (CX_COOL_STEPS more steps, learning rate annealed linearly from CX_LR/10 to 1e-6)
# on text only or on text with CX_COOL_CODE percent code. Every base then gets the same seed fine-tuning
# (the seed set, as round 0 of make rounds) and is measured on
#   - the arithmetic test problems, greedy, methods text (chain of thought) and code (a program),
#   - the function tasks (funcs-test), greedy, st-sample's humaneval method (the code-task pass rate),
#   - the held-out text documents: loss of the base and of the fine-tuned model (st-eval --loss).
#   out/exp-data/corpus-<share>.jsonl.zst (shared), OUT/<arm>/base/, OUT/<arm>/sft/, OUT/<arm>/{arith,funcs}-verified.jsonl.zst
#   OUT/results.json, results.txt, results.svg (st-eval over the arms), OUT/loss.txt
include $(dir $(lastword $(MAKEFILE_LIST)))exp-common.mk

CX_SHARES      ?= 0 25 50 75
CX_COOL_FROM   ?= 25
CX_COOL_CODE   ?= 20
ifeq ($(QUICK),1)
CX_OUT         ?= out/exp-code-mix-quick
CX_HIDDEN      ?= 64
CX_LAYERS      ?= 2
CX_HEADS       ?= 2
CX_CONTEXT     ?= 256
CX_STEPS       ?= 600
CX_SFT_STEPS   ?= 1500
CX_EVAL_PROBLEMS ?= 100
else
CX_OUT         ?= out/exp-code-mix
CX_HIDDEN      ?= 128
CX_LAYERS      ?= 4
CX_HEADS       ?= 4
CX_CONTEXT     ?= 512
CX_STEPS       ?= 600
CX_SFT_STEPS   ?= 1500
CX_EVAL_PROBLEMS ?= 300
endif
CX_COOL_STEPS  ?= $(shell echo $$(( $(CX_STEPS) / 10 )))
CX_BATCH       ?= 8
CX_LR          ?= 3e-3
CX_SFT_LR      ?= 1e-3
CX_MAX_TOKENS  ?= 160
CX_ARMS        := $(foreach s,$(CX_SHARES),code$(s)) cool-text cool-code

ifneq ($(filter exp-code-mix $(CX_OUT)/%,$(MAKECMDGOALS)),)
$(exp_data_stamp)
$(call settings_stamp,$(CX_OUT),base,$(CX_HIDDEN) $(CX_LAYERS) $(CX_HEADS) $(CX_CONTEXT) $(CX_BATCH) $(CX_STEPS) $(CX_LR) $(EXP_SEED))
$(call settings_stamp,$(CX_OUT),cool,$(CX_COOL_FROM) $(CX_COOL_CODE) $(CX_COOL_STEPS))
$(call settings_stamp,$(CX_OUT),sft,$(CX_SFT_STEPS) $(CX_SFT_LR))
$(call settings_stamp,$(CX_OUT),eval,$(CX_EVAL_PROBLEMS) $(CX_MAX_TOKENS))
endif

## exp-code-mix: experiment 4, code share in pre-training (0/25/50/75%) and cooldown with/without code; QUICK=1
$(eval $(call exp_target,exp-code-mix,$(CX_OUT),$(CX_OUT)/results.txt $(CX_OUT)/loss.txt,$(CX_OUT)/results.svg))


$(CX_OUT)/code%/base/config.json: $(EXP_DATA)/corpus-%.jsonl.zst $(BIN)/st-train $(CX_OUT)/.settings/base
	@mkdir -p $(CX_OUT)/code$*
	st-train $< --hidden $(CX_HIDDEN) --layers $(CX_LAYERS) --heads $(CX_HEADS) --context $(CX_CONTEXT) \
	  --batch $(CX_BATCH) --steps $(CX_STEPS) --lr $(CX_LR) --warmup 30 --seed $(EXP_SEED) -q -o $(CX_OUT)/code$*/base

# Cooldowns: continue the CX_COOL_FROM base on a new mixture, linear anneal to 1e-6 (the paper's recipe).
$(CX_OUT)/cool-text/base/config.json: $(EXP_DATA)/corpus-0.jsonl.zst $(CX_OUT)/code$(CX_COOL_FROM)/base/config.json $(CX_OUT)/.settings/cool
	@mkdir -p $(CX_OUT)/cool-text
	st-train $< --init $(CX_OUT)/code$(CX_COOL_FROM)/base --context $(CX_CONTEXT) --batch $(CX_BATCH) \
	  --steps $(CX_COOL_STEPS) --lr $$(awk 'BEGIN { print $(CX_LR) / 10 }') --min-lr 1e-6 --schedule linear \
	  --seed $(EXP_SEED) -q -o $(CX_OUT)/cool-text/base
$(CX_OUT)/cool-code/base/config.json: $(EXP_DATA)/corpus-$(CX_COOL_CODE).jsonl.zst $(CX_OUT)/code$(CX_COOL_FROM)/base/config.json $(CX_OUT)/.settings/cool
	@mkdir -p $(CX_OUT)/cool-code
	st-train $< --init $(CX_OUT)/code$(CX_COOL_FROM)/base --context $(CX_CONTEXT) --batch $(CX_BATCH) \
	  --steps $(CX_COOL_STEPS) --lr $$(awk 'BEGIN { print $(CX_LR) / 10 }') --min-lr 1e-6 --schedule linear \
	  --seed $(EXP_SEED) -q -o $(CX_OUT)/cool-code/base

$(CX_OUT)/problems-arith.jsonl.zst: $(XD)/MANIFEST.json $(CX_OUT)/.settings/eval
	@mkdir -p $(@D)
	st-filter --cap $(CX_EVAL_PROBLEMS) $(XD)/arith-test.jsonl.zst -o $@

define cx_arm
$(CX_OUT)/$(1)/sft/config.json: $(CX_OUT)/$(1)/base/config.json $(XD)/MANIFEST.json $(CX_OUT)/.settings/sft
	st-train $(XD)/seed-pairs.jsonl.zst --init $(CX_OUT)/$(1)/base --steps $(CX_SFT_STEPS) --lr $(CX_SFT_LR) --warmup 10 \
	  --context $(CX_CONTEXT) --batch $(CX_BATCH) --seed $(EXP_SEED) -q -o $(CX_OUT)/$(1)/sft
$(CX_OUT)/$(1)/arith.jsonl.zst: $(CX_OUT)/problems-arith.jsonl.zst $(CX_OUT)/$(1)/sft/config.json
	st-sample $$< --model $(CX_OUT)/$(1)/sft --method text --method code -n 1 --temperature 0 \
	  --max-tokens $(CX_MAX_TOKENS) -q -o $$@
$(CX_OUT)/$(1)/funcs.jsonl.zst: $(XD)/MANIFEST.json $(CX_OUT)/$(1)/sft/config.json $(CX_OUT)/.settings/eval
	st-sample $(XD)/funcs-test.jsonl.zst --model $(CX_OUT)/$(1)/sft --method humaneval -n 1 --temperature 0 \
	  --max-tokens $(CX_MAX_TOKENS) -q -o $$@
$(CX_OUT)/$(1)/%-verified.jsonl.zst: $(CX_OUT)/$(1)/%.jsonl.zst
	st-verify $$< -q -o $$@
$(CX_OUT)/$(1)/loss-%.json: $(EXP_DATA)/text-heldout.jsonl.zst $(CX_OUT)/$(1)/%/config.json
	st-eval --loss $$< --model $(CX_OUT)/$(1)/$$* --context $(CX_CONTEXT) --batch $(CX_BATCH) -q -o $$@
endef
$(foreach a,$(CX_ARMS),$(eval $(call cx_arm,$(a))))

# One st-eval run per arm (arithmetic and functions under one label): method=text is the text-method
# accuracy, method=code the program method, method=humaneval the code-task pass rate; differences against
# the first arm (0% code) are paired over problems.
$(CX_OUT)/results.json: $(foreach a,$(CX_ARMS),$(CX_OUT)/$(a)/arith-verified.jsonl.zst $(CX_OUT)/$(a)/funcs-verified.jsonl.zst \
                          $(CX_OUT)/$(a)/loss-base.json $(CX_OUT)/$(a)/loss-sft.json)
	st-eval $(foreach a,$(CX_ARMS),$(a)=$(CX_OUT)/$(a)/arith-verified.jsonl.zst $(a)=$(CX_OUT)/$(a)/funcs-verified.jsonl.zst) \
	  --k 1 --table --plot $(CX_OUT)/results.svg --plot-metrics greedy -o $@.tmp.json > $(CX_OUT)/results.txt
	{ printf '%-10s %16s %16s\n' arm text_loss_base text_loss_sft; \
	  for a in $(CX_ARMS); do echo "$$a $$(jq .loss $(CX_OUT)/$$a/loss-base.json) $$(jq .loss $(CX_OUT)/$$a/loss-sft.json)"; done \
	    | awk '{ printf "%-10s %16.4f %16.4f\n", $$1, $$2, $$3 }'; } > $(CX_OUT)/loss.txt
	mv $@.tmp.json $@
