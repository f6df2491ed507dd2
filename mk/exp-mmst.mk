# Experiment 2 (EXPERIMENTS.md): multi-method self-training (MMST, Upadhyay & Ginsberg 2023) at small scale.
#
# One model, two methods for the embedded arithmetic problems: text (chain of thought, the answer parsed) and
# code (a Python program, run; its output is the answer). Every arm starts from the same seed-set SFT model
# (round 0), samples XM_N solutions per training problem and method at temperature 0.7, top-k 40, keeps the
# correct ones (no cap) and fine-tunes that model for STEPS steps on them alone (completion-only loss):
#   base         the SFT model itself
#   st-text      single-method self-training of text (its own verified text samples)
#   st-code      single-method self-training of code
#   mmst         both methods, and each kept sample translated into the other method by the same SFT model
#                (st-sample's text-to-code and code-to-text, greedy), the translations re-verified, the correct
#                ones added to the other method's data with that method's own prompt
#   mmst-capped  mmst's data, drawn at random down to st-text's and st-code's data sizes per method
# Arms are runs of mk/rounds.mk under $(XM)/ARM (mmst-capped: the rules below); they share st-text's data,
# base, round-0 model and its evaluation (hard links with their settings stamps). Every model is evaluated
# greedily with both methods on EVAL_PROBLEMS held-out test problems. st-eval writes results.json, the table
# and the plot (per-method accuracy, and the correlation of per-problem success between the methods);
# scripts/exp-mmst-summary.sh adds the count of training examples per source (results.md).
#
# QUICK=1 is a miniature (out/exp-mmst-quick): minutes, and numbers too small and noisy to conclude from.

ifeq ($(QUICK),1)
XM      ?= out/exp-mmst-quick
XM_SET  ?= PRETRAIN_STEPS=200 SFT_STEPS=500 STEPS=200 CONTEXT=256 TRAIN_PROBLEMS=60 EVAL_PROBLEMS=60
XM_N    ?= 4
# the miniature SFT model solves almost nothing as text, and an empty training set cannot be trained on
XM_SEED_MIX ?= 1
else
XM      ?= out/exp-mmst
XM_SET  ?= SFT_STEPS=1500 STEPS=600 TRAIN_PROBLEMS=300 EVAL_PROBLEMS=200
XM_N    ?= 8
endif
XM_SEED_MIX ?= 0
XM_ALL  := TRAIN_SPLIT=train EVAL_SPLIT=test DEDUP=none CONTROL=0 TEMP=0.7 TOPK=40 N=$(XM_N) INIT=previous SEED_MIX=$(XM_SEED_MIX) EVAL_METHODS="text code" \
           SFT_EXTRA=$(XM)/seed-translations.jsonl.zst $(XM_SET)
XM_M    := $(XM)/mmst
XM_C    := $(XM)/mmst-capped

# $(call xm_arm,ARM,SETTINGS): make every file of one arm (one round).
xm_arm = $(MAKE) --no-print-directory RUN=$(XM)/$(1) ROUNDS=1 $(XM_ALL) $(2) $(XM)/$(1)/rounds.json
xm_link = mkdir -p $(XM)/$(1) && cd $(XM)/st-text && cp -al --parents --remove-destination data corpus.jsonl.zst base \
  problems-*.jsonl.zst round-0 .settings/data .settings/base .settings/sft .settings/problems .settings/eval $(abspath $(XM))/$(1)/

.PHONY: exp-mmst
## exp-mmst: experiment 2, MMST: base, single-method ST (text, code), MMST, MMST capped (QUICK=1: minutes); out/exp-mmst/
exp-mmst: build
	@echo "exp-mmst: files under $(XM)/"
	+$(call xm_arm,st-text,METHODS=text CAP=$(XM_N))
	$(call xm_link,st-code)
	+$(call xm_arm,st-code,METHODS=code CAP=$(XM_N))
	$(call xm_link,mmst)
	+$(call xm_arm,mmst,METHODS="text code" CAP=$$(($(XM_N) * 2)) EXTRA_TRAIN=translated.jsonl.zst)
	$(MAKE) --no-print-directory $(XM_ALL) XM=$(XM) $(XM_C)/eval-verified.jsonl.zst
	@$(MAKE) --no-print-directory XM=$(XM) $(XM)/results.md

# The paper translates with a few-shot prompt; a model this small has to be taught the translation format, so
# round 0 (every arm's starting point) is fine-tuned on the seed set plus its translations: for each seed
# problem, its gold chain of thought followed by the program, and the program followed by the chain of thought,
# in st-sample's text-to-code and code-to-text prompts.
xm_seed_pair = group_by(.id)[] | (map(select(.method == "text"))[0]) as $$t | (map(select(.method == "code"))[0]) as $$c | select($$t != null and $$c != null) | {prompt: ($$t.prompt + $$t.completion + "\nProgram:\n"), completion: $$c.completion}, {prompt: ($$c.prompt + $$c.completion + "\nSolution:\n"), completion: $$t.completion}
$(XM)/seed-translations.jsonl.zst: $(XM)/st-text/data/MANIFEST.json
	zstdcat $(XM)/st-text/data/seed-pairs.jsonl.zst | jq -s -c '$(xm_seed_pair)' | zstd -q -f -o $@.tmp && mv $@.tmp $@

# MMST translations: each kept sample of a method, translated by the model that sampled it (round 0) into the
# other method, greedily; st-verify re-checks every translation; the correct ones become prompt/completion
# pairs in the target method's prompt (ArithPrompt: "Question: …\nSolution:\n" or "…\nProgram:\n"), tagged
# with the target method and their source. (No kept sample of a method: no translations, an empty file.)
define xm_translate
$(XM_M)/round-1/translate-$(1)-samples.jsonl.zst: $(XM_M)/round-1/kept.jsonl.zst $(XM_M)/round-0/model/config.json
	if [ -n "$$$$(st-filter --allow-empty --where 'method == "$(2)"' $$< | head -c 1)" ]; then \
	  st-filter --where 'method == "$(2)"' $$< | st-sample - --model $(XM_M)/round-0/model --method $(1) -n 1 --temperature 0 \
	    --max-tokens $$(MAX_TOKENS) -q -o $$@; \
	else printf '' | zstd -q -f -o $$@; fi
$(XM_M)/round-1/translate-$(1)-verified.jsonl.zst: $(XM_M)/round-1/translate-$(1)-samples.jsonl.zst
	if [ -n "$$$$(zstdcat $$< | head -c 1)" ]; then st-verify $$< -q -o $$@; else printf '' | zstd -q -f -o $$@; fi
endef
$(eval $(call xm_translate,text-to-code,text))
$(eval $(call xm_translate,code-to-text,code))
xm_pair = select(.reward == 1) | (if .method == "text-to-code" then "code" else "text" end) as $$m | {prompt: ("Question: " + .question + (if $$m == "code" then "\nProgram:\n" else "\nSolution:\n" end)), completion, method: $$m, source: .method}
$(XM_M)/round-1/translated.jsonl.zst: $(XM_M)/round-1/translate-text-to-code-verified.jsonl.zst \
                                      $(XM_M)/round-1/translate-code-to-text-verified.jsonl.zst
	zstdcat $^ | jq -c '$(xm_pair)' | zstd -q -f -o $@.tmp && mv $@.tmp $@

# MMST capped: mmst's pairs (its own kept samples and the correct translations), per method a uniformly random
# subset as large as that method's kept samples in single-method ST (plus the seed set when XM_SEED_MIX=1, as
# every arm); the model and its evaluation as in the rounds.
$(XM_C)/train.jsonl.zst: $(XM_M)/round-1/kept.jsonl.zst $(XM_M)/round-1/translated.jsonl.zst \
                         $(XM)/st-text/round-1/kept.jsonl.zst $(XM)/st-code/round-1/kept.jsonl.zst $(XM_M)/.settings/train
	@mkdir -p $(@D)
	for m in text code; do \
	  n=$$(zstdcat $(XM)/st-$$m/round-1/kept.jsonl.zst | wc -l); \
	  { st-filter --allow-empty --where "method == \"$$m\"" --keep-fields prompt_text,completion,method --rename prompt_text=prompt $<; \
	    st-filter --allow-empty --where "method == \"$$m\"" $(XM_M)/round-1/translated.jsonl.zst; } \
	  | if [ $$n -gt 0 ]; then st-filter --allow-empty --cap $$n --cap-pick random --seed $(SEED) -o $(@D)/train-$$m.jsonl.zst; \
	    else cat > /dev/null; printf '' | zstd -q -f -o $(@D)/train-$$m.jsonl.zst; fi || exit 1; \
	done
	st-mix $(@D)/train-text.jsonl.zst $(@D)/train-code.jsonl.zst $(if $(filter 1,$(XM_SEED_MIX)),$(XM_M)/data/seed-pairs.jsonl.zst) \
	  --seed $(SEED) -q -o $@
$(XM_C)/model/config.json: $(XM_C)/train.jsonl.zst $(XM_M)/round-0/model/config.json $(XM_M)/.settings/train
	st-train $< --init $(XM_M)/round-0/model --steps $(STEPS) --lr $(LR) --warmup 10 --context $(CONTEXT) \
	  --batch $(BATCH)$(if $(LORA), $(lora_flags)) --seed $(SEED) -q -o $(XM_C)/model
$(XM_C)/eval-samples.jsonl.zst: $(XM_M)/problems-eval.jsonl.zst $(XM_C)/model/config.json $(XM_M)/.settings/eval
	st-sample $< --model $(XM_C)/model --method text --method code -n 1 --temperature 0 --max-tokens $(MAX_TOKENS) -o $@
$(XM_C)/eval-verified.jsonl.zst: $(XM_C)/eval-samples.jsonl.zst
	st-verify $< -o $@

XM_IN := base=$(XM_M)/round-0/eval-verified.jsonl.zst st-text=$(XM)/st-text/round-1/eval-verified.jsonl.zst \
  st-code=$(XM)/st-code/round-1/eval-verified.jsonl.zst mmst=$(XM_M)/round-1/eval-verified.jsonl.zst \
  mmst-capped=$(XM_C)/eval-verified.jsonl.zst
$(call made_by_arms,$(XM)/st-text/% $(XM)/st-code/% $(XM_M)/%,exp-mmst)
$(XM)/results.json: $(foreach i,$(XM_IN),$(lastword $(subst =, ,$(i))))
	st-eval $(XM_IN) --k 1 --seed 1 --by difficulty --plot $(XM)/results.svg --plot-metrics greedy --table -o $@ \
	  > $(XM)/results-test.txt
# The correlation of per-problem success among the SFT model's samples of the training problems (XM_N per method).
$(XM)/results-samples.json: $(XM_M)/round-1/verified.jsonl.zst
	st-eval round-0-samples=$< --seed 1 --table -o $@ > $(XM)/results-samples.txt
$(XM)/results.md: $(XM)/results.json $(XM)/results-samples.json $(XM_M)/round-1/translated.jsonl.zst scripts/exp-mmst-summary.sh
	bash scripts/exp-mmst-summary.sh $(XM) > $@.tmp && mv $@.tmp $@
	@cat $@
