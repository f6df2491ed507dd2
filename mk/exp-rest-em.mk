# Experiment 1 (EXPERIMENTS.md): ReST-EM (Singh et al. 2023) at small scale on the embedded arithmetic tasks.
#
# Every arm is a run of mk/rounds.mk under $(XR)/ARM, with the text (chain-of-thought) method, as the paper's
# MATH experiment: sample XR_N per training problem (temperature 0.7, top-k 40), verify, keep at most XR_CAP
# correct per problem, fine-tune with completion-only loss on the kept samples alone (no human data), repeat.
#   restart   3 iterations, each fine-tuned from the pre-trained base (ReST-EM)
#   continue  3 iterations, each continuing from the previous iterate (iteration 1 from the SFT model)
#   restart-sft  3 iterations, each fine-tuned from the SFT model (round 0): ReST-EM's restart rule with the
#             model that can do the task in the base's part, as the paper's few-shot base can and ours cannot
#   x3        1 iteration with 3x the samples per problem
#   rft       RFT (Yuan et al. 2023): 1 round, correct samples whose every step checks, one per distinct list
#             of equations per problem, no cap, the base fine-tuned on them plus the seed set
#   sft       the seed-set SFT model every arm starts from (round 0), evaluated like the others
# The arms share restart's data, base, round-0 model and round-0 evaluations (hard links, with their settings
# stamps, so nothing is trained twice). Every model is evaluated greedily on EVAL_PROBLEMS held-out test
# problems, on the training problems themselves (train accuracy: the overfitting gap) and on the held-out
# story family arith-transfer; the restart and restart-sft models also with XR_K samples per problem at
# temperature 1.0, top-p 0.95 (the paper's pass@k setting) for pass@k and maj@k. st-eval then writes
# results-*.json, tables and plots, and scripts/exp-rest-em-summary.sh a summary (results.md).
#
# QUICK=1 is a miniature (fewer problems, samples and steps, context 256, out/exp-rest-em-quick): minutes,
# and accuracies too small and noisy to conclude anything from.

ifeq ($(QUICK),1)
XR      ?= out/exp-rest-em-quick
XR_SET  ?= PRETRAIN_STEPS=200 SFT_STEPS=500 STEPS=300 CONTEXT=256 TRAIN_PROBLEMS=60 EVAL_PROBLEMS=60
XR_N    ?= 8
XR_CAP  ?= 4
XR_K    ?= 8
else
XR      ?= out/exp-rest-em
XR_SET  ?= SFT_STEPS=1500 STEPS=300 TRAIN_PROBLEMS=300 EVAL_PROBLEMS=200
XR_N    ?= 32
XR_CAP  ?= 10
XR_K    ?= 16
endif
XR_N3   := $(shell echo $$((3 * $(XR_N))))
# RFT trains the base on the seed set plus its paths: the seed-set SFT's budget (SFT_STEPS of XR_SET), not an iteration's
XR_SFT_STEPS = $(or $(patsubst SFT_STEPS=%,%,$(filter SFT_STEPS=%,$(XR_SET))),1500)
# the k of pass@k and maj@k: 1, 2, 4, ... up to XR_K
XR_KS   := $(shell k=1; s=1; while [ $$((k * 2)) -le $(XR_K) ]; do k=$$((k * 2)); s=$$s,$$k; done; echo $$s)
XR_EVAL := train:train:1:0:1 transfer:transfer:1:0:1
XR_PASSK := passk:test:$(XR_K):1.0:0.95
# ReST-EM trains on the kept samples alone; XR_SEED_MIX=1 adds the seed set (for a miniature that keeps nothing)
XR_SEED_MIX ?= 0
XR_ALL  := TRAIN_SPLIT=train EVAL_SPLIT=test DEDUP=none CONTROL=0 METHODS=text TEMP=0.7 TOPK=40 SEED_MIX=$(XR_SEED_MIX) $(XR_SET)

# $(call xr_arm,ARM,ROUNDS,SETTINGS,EXTRA_EVALS): make every file of one arm, each round's evaluations as soon
# as its model exists (an interrupted run has every evaluation of the rounds it finished).
xr_arm = $(MAKE) --no-print-directory RUN=$(XR)/$(1) ROUNDS=$(2) $(XR_ALL) $(3) EXTRA_EVALS="$(4)" \
  $(foreach n,$(shell seq 0 $(2)),$(XR)/$(1)/round-$(n)/eval-verified.jsonl.zst $(foreach e,$(4),$(XR)/$(1)/round-$(n)/eval-$(firstword $(subst :, ,$(e)))-verified.jsonl.zst)) \
  $(XR)/$(1)/rounds.json
# Share restart's data, base, round-0 model and evaluations, and the stamps of the settings that shaped them;
# $(call xr_link,ARM,samples) also its first iteration's samples (the same draw: same model, N and seed).
xr_link = mkdir -p $(XR)/$(1) && cd $(XR)/restart && cp -al --parents --remove-destination data corpus.jsonl.zst base \
  problems-*.jsonl.zst round-0 .settings/data .settings/base .settings/sft .settings/problems .settings/eval .settings/eval-* \
  $(if $(2),round-1/samples.jsonl.zst round-1/verified.jsonl.zst .settings/sample) $(abspath $(XR))/$(1)/

.PHONY: exp-rest-em exp-rest-em-plan
## exp-rest-em: experiment 1, ReST-EM: restart (from base or SFT) vs continue, 3x samples, SFT, RFT (QUICK=1: minutes); out/exp-rest-em/
exp-rest-em: build
	@echo "exp-rest-em: files under $(XR)/"
	+$(call xr_arm,restart,3,INIT=base N=$(XR_N) CAP=$(XR_CAP),$(XR_EVAL) $(XR_PASSK))
	$(call xr_link,continue,samples)
	+$(call xr_arm,continue,3,INIT=previous N=$(XR_N) CAP=$(XR_CAP),$(XR_EVAL))
	$(call xr_link,restart-sft,samples)
	+$(call xr_arm,restart-sft,3,INIT=sft N=$(XR_N) CAP=$(XR_CAP),$(XR_EVAL) $(XR_PASSK))
	$(call xr_link,x3)
	+$(call xr_arm,x3,1,INIT=base N=$(XR_N3) CAP=$(XR_CAP),$(XR_EVAL))
	$(call xr_link,rft,samples)
	+$(call xr_arm,rft,1,INIT=base STEPS=$(XR_SFT_STEPS) N=$(XR_N) CAP=1000 SEED_MIX=1 KEEP_WHERE='reward == 1 and steps_ok' DEDUP=equations,$(XR_EVAL))
	@$(MAKE) --no-print-directory XR=$(XR) $(XR)/results.md

# st-eval inputs: LABEL=FILE, a label repeated joins files into one run (greedy and sampled records).
xr_in = $(1)=$(XR)/$(2)/round-$(3)/eval$(4)-verified.jsonl.zst
XR_MODELS := sft:restart:0 restart-1:restart:1 restart-2:restart:2 restart-3:restart:3 continue-1:continue:1 \
  continue-2:continue:2 continue-3:continue:3 restart-sft-1:restart-sft:1 restart-sft-2:restart-sft:2 \
  restart-sft-3:restart-sft:3 x3-1:x3:1 rft-1:rft:1
xr_each = $(foreach m,$(XR_MODELS),$(call xr_in,$(word 1,$(subst :, ,$(m))),$(word 2,$(subst :, ,$(m))),$(word 3,$(subst :, ,$(m))),$(1)))
XR_TEST     := $(call xr_each,) $(foreach n,0 1 2 3,$(call xr_in,$(if $(filter 0,$(n)),sft,restart-$(n)),restart,$(n),-passk)) \
  $(foreach n,1 2 3,$(call xr_in,restart-sft-$(n),restart-sft,$(n),-passk))
XR_TRAIN    := $(call xr_each,-train)
XR_TRANSFER := $(call xr_each,-transfer)
xr_files = $(foreach i,$(1),$(lastword $(subst =, ,$(i))))

$(call made_by_arms,$(XR)/%-verified.jsonl.zst,exp-rest-em)
$(XR)/results.json: $(call xr_files,$(XR_TEST))
	st-eval $(XR_TEST) --k $(XR_KS) --by difficulty --seed 1 \
	  --plot $(XR)/results.svg --table -o $@ > $(XR)/results-test.txt
$(XR)/results-train.json: $(call xr_files,$(XR_TRAIN))
	st-eval $(XR_TRAIN) --k 1 --seed 1 --plot $(XR)/results-train.svg --plot-metrics greedy --table -o $@ > $(XR)/results-train.txt
$(XR)/results-transfer.json: $(call xr_files,$(XR_TRANSFER))
	st-eval $(XR_TRANSFER) --k 1 --seed 1 --by difficulty --plot $(XR)/results-transfer.svg --plot-metrics greedy --table -o $@ \
	  > $(XR)/results-transfer.txt
$(XR)/results.md: $(XR)/results.json $(XR)/results-train.json $(XR)/results-transfer.json scripts/exp-rest-em-summary.sh
	bash scripts/exp-rest-em-summary.sh $(XR) > $@.tmp && mv $@.tmp $@
	@cat $@

