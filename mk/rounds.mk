# Self-training rounds: every step is a file target built by one of the tools.
#
#   RUN/data/MANIFEST.json                embedded tasks and corpora (st-tasks)
#   RUN/base/config.json                  pre-trained base model (st-mix + st-train on the corpora)
#   RUN/round-0/model/config.json         the base fine-tuned on the seed set (supervised)
#   RUN/round-N/samples.jsonl.zst         N >= 1: samples of the training problems from round N-1's model
#            /verified.jsonl.zst          st-verify
#            /kept.jsonl.zst              st-filter: correct samples, at most CAP per problem
#            /train.jsonl.zst             kept samples as prompt/completion pairs, shuffled with the seed set
#            /model/config.json           st-train from INIT (previous, base or sft), completion-only loss
#   RUN/round-N/eval-samples.jsonl.zst    greedy samples of the held-out test problems (every round, 0 too)
#            /eval-verified.jsonl.zst     st-verify
#            /eval.json                   st-eval
#   RUN/rounds.json, RUN/rounds.svg       st-eval over all rounds: table, JSON and plot
#
# Every target also depends on a stamp of the settings that shape it (RUN/.settings/*), rewritten only when
# they change: changing CAP rebuilds kept and what follows, not the samples. Every tool writes under a
# temporary name, so an interrupted make continues cleanly. `make -n rounds` shows the plan.
#
# With MODEL=smollm2 (the GGUF `make models` fetches) or MODEL=DIR|FILE.gguf the rounds start from that
# pretrained model instead: no data/base, no seed fine-tune; round 0 is MODEL itself, sampled and evaluated in
# chat form (st-sample --chat, the built-in chat-text and chat-code methods), and every round's model is
# fine-tuned from MODEL (INIT=base) on its kept samples as conversations (st-train --chat, their
# prompt_messages plus the completion), without the seed set (SEED_MIX=0). PROBLEMS=FILE takes the training
# problems from a GSM8K-format file (question, answer with '#### N') instead of st-tasks' arithmetic, and
# EVAL_PROBLEMS_FILE=FILE the held-out ones (default: the first EVAL_PROBLEMS of PROBLEMS, training on the
# ones after them). CONTROL=unverified adds the control a pretrained start needs: MODEL trained the same
# STEPS on as many of round 1's samples as round 1 trained on, drawn without looking at their verdicts (the
# same CAP per problem), so a gain beyond it comes from the reward, not from learning the format.
#
# The defaults are the default demo's (`make`), chosen by measurement: SFT_STEPS=1500 because
# this model's accuracy jumps between 600 and 1,200 steps of supervised training (3% -> 47%), and near that
# threshold run-to-run noise swamps any effect; INIT=previous with 600 steps per round because retraining the
# base for 1,500 steps on seed + kept samples lost 9 points in one measurement (54% -> 45%); exact duplicate
# samples dropped (DEDUP) because they were two thirds of the kept set.

RUN            ?= out/rounds
ROUNDS         ?= 1
# MODEL: empty (a model pre-trained here), smollm2, or a model directory or .gguf file (see above)
MODEL          ?=
PROBLEMS       ?=
EVAL_PROBLEMS_FILE ?=
METHODS        ?= $(if $(MODEL),chat-text chat-code,text code)
N              ?= 4
TEMP           ?= 0.7
TOPK           ?= 40
MAX_TOKENS     ?= 160
CAP            ?= 4
DEDUP          ?= exact
INIT           ?= $(if $(MODEL),base,previous)
SEED_MIX       ?= $(if $(MODEL),0,1)
TRAIN_PROBLEMS ?= 1000
EVAL_PROBLEMS  ?= 300
TRAIN_SPLIT    ?= transfer
EVAL_SPLIT     ?= transfer
HIDDEN         ?= 128
LAYERS         ?= 4
HEADS          ?= 4
CONTEXT        ?= 512
BATCH          ?= 8
CODE_SHARE     ?= 0.25
PRETRAIN_STEPS ?= 300
PRETRAIN_LR    ?= 3e-3
SFT_STEPS      ?= 1500
STEPS          ?= 600
LR             ?= $(if $(MODEL),2e-5,1e-3)
WARMUP         ?= 10
# LORA=R: fine-tune low-rank adapters of rank R (st-train --lora R) instead of every weight; unset: full.
LORA           ?=
SEED           ?= 1
TASK_FLAGS     ?= --seed-size 1000 --max-difficulty 3 --corpus-bytes 1500000 --arith-transfer 1300
CONTROL        ?= 0
SHARDS         ?= 1
LAUNCH         ?=

# Hooks for the experiments (mk/exp-*.mk); their defaults leave the rounds exactly as they are.
#   EVAL_METHODS  methods of the evaluations (default: METHODS)
#   KEEP_WHERE    which verified samples kept may hold (default: reward == 1; RFT: reward == 1 and steps_ok)
#   EXTRA_EVALS   further evaluations of every round's model, each NAME:SPLIT:N:TEMP:TOP_P: N samples per
#                 problem and method at that temperature and top-p, of EVAL_PROBLEMS problems of arith-SPLIT
#                 (SPLIT train: the training problems themselves), into round-K/eval-NAME-verified.jsonl.zst
#   EXTRA_TRAIN   further files of prompt/completion pairs, named relative to a round's directory (built by
#                 rules of their own), shuffled into that round's train.jsonl.zst
#   SFT_EXTRA     further files of examples (built by rules of their own) for round 0, with the seed set
EVAL_METHODS   ?= $(METHODS)
KEEP_WHERE     ?= reward == 1
EXTRA_EVALS    ?=
EXTRA_TRAIN    ?=
SFT_EXTRA      ?=

# The pretrained model (MODEL=smollm2: the file `make models` makes), what a rule that reads it depends on,
# and the chat form its rounds use.
include $(dir $(lastword $(MAKEFILE_LIST)))models.mk
PRETRAINED     := $(if $(filter smollm2,$(MODEL)),$(SMOLLM2),$(MODEL))
PRETRAINED_DEP := $(if $(filter %.gguf,$(PRETRAINED)),$(PRETRAINED),$(if $(PRETRAINED),$(PRETRAINED)/config.json))
chat_flag      := $(if $(MODEL),--chat)
# The field that names a problem: st-tasks' id; GSM8K's records have none, their question is theirs.
BY_FIELD       := $(if $(PROBLEMS),question,id)
lora_flags      = $(if $(LORA),--lora $(LORA))

# Settings checked before anything is written (DEDUP and INIT are explained at dedup_flags and init_of below).
ifeq ($(filter exact equations none,$(DEDUP)),)
$(error DEDUP=$(DEDUP): expected exact, equations or none)
endif
ifeq ($(filter previous base sft,$(INIT)),)
$(error INIT=$(INIT): expected previous, base or sft)
endif
ifneq ($(filter-out 0 1 unverified,$(CONTROL)),)
$(error CONTROL=$(CONTROL): expected 0, 1 (seed-set control), unverified (unverified-samples control) or both)
endif
$(foreach v,TRAIN_SPLIT EVAL_SPLIT,$(if $(filter-out train val test transfer,$($(v))),$(error $(v)=$($(v)): expected one of st-tasks' arithmetic splits: train, val, test or transfer)))

## rounds: run the self-training rounds (RUN, ROUNDS, METHODS, N, TEMP, TOPK, CAP, INIT, STEPS, SEED, SHARDS, LAUNCH, ...)
.PHONY: rounds rounds-help
rounds: build
	@$(MAKE) --no-print-directory $(RUN)/rounds.json

## rounds-help: the variables of the rounds and their values
rounds-help:
	@for v in RUN ROUNDS MODEL PROBLEMS EVAL_PROBLEMS_FILE METHODS N TEMP TOPK MAX_TOKENS CAP DEDUP INIT SEED_MIX TRAIN_PROBLEMS TRAIN_SPLIT EVAL_PROBLEMS EVAL_SPLIT \
	  HIDDEN LAYERS HEADS CONTEXT BATCH CODE_SHARE PRETRAIN_STEPS PRETRAIN_LR SFT_STEPS STEPS LR WARMUP LORA SEED TASK_FLAGS CONTROL SHARDS LAUNCH EVAL_METHODS KEEP_WHERE EXTRA_EVALS EXTRA_TRAIN SFT_EXTRA; do \
	  printf '  %-15s %s\n' $$v "$$($(MAKE) --no-print-directory -s print-$$v)"; done
print-%:
	@echo '$($*)'

S := $(RUN)/.settings
# Settings stamps (settings_stamp in the Makefile), written only for rounds targets.
ifneq ($(filter rounds $(RUN)/%,$(MAKECMDGOALS)),)
$(call settings_stamp,$(RUN),data,SEED=$(SEED) $(TASK_FLAGS))
$(call settings_stamp,$(RUN),base,$(HIDDEN) $(LAYERS) $(HEADS) $(CONTEXT) $(BATCH) $(CODE_SHARE) $(PRETRAIN_STEPS) $(PRETRAIN_LR) $(SEED))
$(call settings_stamp,$(RUN),sft,$(SFT_STEPS) $(LR) $(CONTEXT) $(BATCH) $(SEED)$(if $(SFT_EXTRA), extra=$(SFT_EXTRA)))
$(call settings_stamp,$(RUN),problems,$(TRAIN_PROBLEMS) $(TRAIN_SPLIT) $(EVAL_PROBLEMS) $(EVAL_SPLIT)$(if $(PROBLEMS), file=$(PROBLEMS) eval=$(EVAL_PROBLEMS_FILE)))
$(call settings_stamp,$(RUN),sample,$(METHODS) $(N) $(TEMP) $(TOPK) $(MAX_TOKENS) $(SEED)$(if $(MODEL), model=$(PRETRAINED)))
$(call settings_stamp,$(RUN),filter,$(CAP) $(DEDUP) $(SEED)$(if $(subst reward == 1,,$(KEEP_WHERE)), where=$(KEEP_WHERE)))
$(call settings_stamp,$(RUN),train,$(INIT) $(SEED_MIX) $(STEPS) $(LR) $(CONTEXT) $(BATCH) $(SEED)$(if $(EXTRA_TRAIN), extra=$(EXTRA_TRAIN))$(if $(LORA), lora=$(LORA))$(if $(filter-out 10,$(WARMUP)), warmup=$(WARMUP)))
$(call settings_stamp,$(RUN),eval,$(EVAL_METHODS) $(MAX_TOKENS)$(if $(MODEL), model=$(PRETRAINED)))
$(foreach e,$(EXTRA_EVALS),$(call settings_stamp,$(RUN),eval-$(word 1,$(subst :, ,$(e))),$(EVAL_METHODS) $(MAX_TOKENS) $(e) $(SEED)))
$(call settings_stamp,$(RUN),report,$(ROUNDS) $(CONTROL))
endif

D := $(RUN)/data
$(D)/MANIFEST.json: $(BIN)/st-tasks $(S)/data
	st-tasks -o $(D) --seed $(SEED) $(TASK_FLAGS)
# Training problems come from arith-TRAIN_SPLIT; when that is also the evaluation split (the held-out family:
# TRAIN_SPLIT=EVAL_SPLIT=transfer), the first EVAL_PROBLEMS problems are the evaluation set and the training
# problems are the ones after them, so the two never overlap.
train_skip = $(if $(filter $(TRAIN_SPLIT),$(EVAL_SPLIT)),$(EVAL_PROBLEMS),0)
# PROBLEMS=FILE: the same rule over a GSM8K-format file (EVAL_PROBLEMS_FILE, or the head of PROBLEMS).
ifeq ($(PROBLEMS),)
$(RUN)/problems-train.jsonl.zst: $(D)/MANIFEST.json $(S)/problems
	@mkdir -p $(@D)
	zstdcat $(D)/arith-$(TRAIN_SPLIT).jsonl.zst | tail -n +$$(( $(train_skip) + 1 )) | st-filter --cap $(TRAIN_PROBLEMS) -o $@
$(RUN)/problems-eval.jsonl.zst: $(D)/MANIFEST.json $(S)/problems
	@mkdir -p $(@D)
	st-filter --cap $(EVAL_PROBLEMS) $(D)/arith-$(EVAL_SPLIT).jsonl.zst -o $@
else
$(RUN)/problems-train.jsonl.zst: $(PROBLEMS) $(S)/problems
	@mkdir -p $(@D)
	zstdcat -f $(PROBLEMS) | tail -n +$$(( $(if $(EVAL_PROBLEMS_FILE),0,$(EVAL_PROBLEMS)) + 1 )) | st-filter --cap $(TRAIN_PROBLEMS) -o $@
$(RUN)/problems-eval.jsonl.zst: $(or $(EVAL_PROBLEMS_FILE),$(PROBLEMS)) $(S)/problems
	@mkdir -p $(@D)
	st-filter --cap $(EVAL_PROBLEMS) $(or $(EVAL_PROBLEMS_FILE),$(PROBLEMS)) -o $@
endif
$(RUN)/corpus.jsonl.zst: $(D)/MANIFEST.json $(S)/base
	@mkdir -p $(@D)
	st-mix $(D)/corpus-text.jsonl.zst:$$(awk 'BEGIN { print 1 - $(CODE_SHARE) }') $(D)/corpus-code.jsonl.zst:$(CODE_SHARE) \
	  --total $$(zstdcat $(D)/corpus-text.jsonl.zst | wc -l) --replacement --seed $(SEED) -q -o $@
$(RUN)/base/config.json: $(RUN)/corpus.jsonl.zst $(BIN)/st-train $(S)/base
	st-train $< --hidden $(HIDDEN) --layers $(LAYERS) --heads $(HEADS) --context $(CONTEXT) --batch $(BATCH) \
	  --steps $(PRETRAIN_STEPS) --lr $(PRETRAIN_LR) --warmup 30 --seed $(SEED) -q -o $(RUN)/base
$(RUN)/round-0/model/config.json: $(RUN)/base/config.json $(D)/MANIFEST.json $(SFT_EXTRA) $(S)/sft
	@mkdir -p $(RUN)/round-0
	$(call fine_tune,$(D)/seed-pairs.jsonl.zst$(foreach f,$(SFT_EXTRA), $(f)),$(RUN)/base,$(SFT_STEPS),$(RUN)/round-0/model)

# The one st-train and st-sample command lines of the rounds.
# $(call fine_tune,DATA,INIT,STEPS,OUT): fine-tune the model INIT on DATA (completion-only loss) into OUT.
fine_tune = st-train $(1) --init $(2) --steps $(3) --lr $(LR) --warmup $(WARMUP) --context $(CONTEXT) --batch $(BATCH) \
  $(chat_flag)$(if $(LORA), $(lora_flags))$(if $(chat_flag)$(LORA), )--seed $(SEED) -q -o $(4)
# $(call sample,PROBLEMS,MODEL,METHODS,SAMPLER,REST): st-sample PROBLEMS with MODEL, one --method per METHODS,
# SAMPLER (-n and the sampler's settings), MAX_TOKENS, then REST (--seed, -o, ...).
sample = st-sample $(1) --model $(2) $(foreach m,$(3),--method $(m)) $(4) --max-tokens $(MAX_TOKENS)$(if $(chat_flag), $(chat_flag)) $(5)

# DEDUP: which correct samples of a problem count as duplicates (kept once): exact (the same completion),
# equations (the same list of arithmetic equations: RFT), or none.
dedup_flags = $(if $(filter exact,$(DEDUP)),--dedup completion,$(if $(filter equations,$(DEDUP)),--dedup-equations completion))

# The model a round starts from: INIT=previous continues from the last round's model; INIT=base trains every
# round from the pre-trained base (ReST-EM's rule); INIT=sft every round from round 0's model (the seed-set SFT:
# ReST-EM's rule where the pre-trained base cannot do the task and the SFT model plays its part).
init_of = $(if $(filter previous,$(INIT)),$(call model_of,round-$(1)),$(if $(filter sft,$(INIT)),$(call model_of,round-0),$(if $(MODEL),$(PRETRAINED),$(RUN)/base)))
# The model of a round's directory (round-N, control), and the file a rule reading it depends on: with MODEL,
# round 0's is MODEL itself.
model_of = $(if $(and $(MODEL),$(filter round-0,$(1))),$(PRETRAINED),$(RUN)/$(1)/model)
model_dep = $(if $(and $(MODEL),$(filter round-0,$(1))),$(PRETRAINED_DEP),$(RUN)/$(1)/model/config.json)
init_dep = $(if $(filter $(PRETRAINED),$(1)),$(PRETRAINED_DEP),$(1)/config.json)
# kept samples as training pairs: with MODEL the conversations st-sample --chat sent (st-train --chat)
train_fields = $(if $(MODEL),--keep-fields prompt_messages$(comma)completion,--keep-fields prompt_text$(comma)completion --rename prompt_text=prompt)
comma := ,

# $(call round,N,PREV): the chain of round N, sampling with round PREV's model.
define round
R$(1) := $(RUN)/round-$(1)
ifeq ($(SHARDS),1)
$$(R$(1))/samples.jsonl.zst: $(RUN)/problems-train.jsonl.zst $(call model_dep,round-$(2)) $(S)/sample
	@mkdir -p $$(@D)
	$(LAUNCH) $(call sample,$$<,$(call model_of,round-$(2)),$(METHODS),-n $(N) --temperature $(TEMP) --top-k $(TOPK),--seed $(SEED) -o $$@)
$$(R$(1))/verified.jsonl.zst: $$(R$(1))/samples.jsonl.zst
	@mkdir -p $$(@D)
	$(LAUNCH) st-verify $$< -o $$@
else
$$(R$(1))/shards/samples-%.jsonl.zst: $(RUN)/problems-train.jsonl.zst $(call model_dep,round-$(2)) $(S)/sample
	@mkdir -p $$(dir $$@)
	$(LAUNCH) $(call sample,$$<,$(call model_of,round-$(2)),$(METHODS),-n $(N) --temperature $(TEMP) --top-k $(TOPK),--seed $(SEED) --shard $$*/$(SHARDS) -o $$@)
$$(R$(1))/shards/verified-%.jsonl.zst: $$(R$(1))/shards/samples-%.jsonl.zst
	@mkdir -p $$(@D)
	$(LAUNCH) st-verify $$< -o $$@
$$(R$(1))/samples.jsonl.zst: $(foreach i,$(SHARD_IDS),$$(R$(1))/shards/samples-$(i).jsonl.zst)
	@mkdir -p $$(@D)
	cat $$^ > $$@.tmp && mv $$@.tmp $$@
$$(R$(1))/verified.jsonl.zst: $$(R$(1))/samples.jsonl.zst $(foreach i,$(SHARD_IDS),$$(R$(1))/shards/verified-$(i).jsonl.zst)
	@mkdir -p $$(@D)
	cat $$(filter-out $$<,$$^) > $$@.tmp && mv $$@.tmp $$@
endif
$$(R$(1))/kept.jsonl.zst: $$(R$(1))/verified.jsonl.zst $(S)/filter
	@mkdir -p $$(@D)
	st-filter --where '$(KEEP_WHERE)' --by $(BY_FIELD) $(dedup_flags) --cap $(CAP) --cap-pick random --seed $(SEED) $$< -o $$@
$$(R$(1))/train.jsonl.zst: $$(R$(1))/kept.jsonl.zst $(foreach f,$(EXTRA_TRAIN),$$(R$(1))/$(f)) $(if $(filter 1,$(SEED_MIX)),$(D)/MANIFEST.json) $(S)/train
	@mkdir -p $$(@D)
	st-filter --allow-empty $(train_fields) $$< \
	  | st-mix -$(foreach f,$(EXTRA_TRAIN), $$(R$(1))/$(f)) $(if $(filter 1,$(SEED_MIX)),$(D)/seed-pairs.jsonl.zst) --seed $(SEED) -q -o $$@
$$(R$(1))/model/config.json: $$(R$(1))/train.jsonl.zst $(call init_dep,$(call init_of,$(2))) $(S)/train
	@mkdir -p $$(R$(1))
	$(call fine_tune,$$<,$(call init_of,$(2)),$(STEPS),$$(R$(1))/model)
endef

# Evaluation of a model directory's parent (round-N, or the control), the same for every round including 0.
define evaluate
$(RUN)/$(1)/eval-samples.jsonl.zst: $(RUN)/problems-eval.jsonl.zst $(call model_dep,$(1)) $(S)/eval
	@mkdir -p $$(@D)
	$(call sample,$$<,$(call model_of,$(1)),$(EVAL_METHODS),-n 1 --temperature 0,-o $$@)
$(RUN)/$(1)/eval-verified.jsonl.zst: $(RUN)/$(1)/eval-samples.jsonl.zst
	@mkdir -p $$(@D)
	st-verify $$< -o $$@
$(RUN)/$(1)/eval.json: $(RUN)/$(1)/eval-verified.jsonl.zst
	@mkdir -p $$(@D)
	st-eval $$< --k 1 $(if $(PROBLEMS),,--by difficulty) -q -o $$@
endef

ROUND_IDS := $(shell seq 1 $(ROUNDS))
EVAL_DIRS := round-0 $(foreach n,$(ROUND_IDS),round-$(n)) $(if $(filter 1,$(CONTROL)),control) $(if $(filter unverified,$(CONTROL)),control-unverified)

# The control (CONTROL=1): round 1's starting model trained the same STEPS on the seed set alone, so the table
# separates what the self-generated samples add from what more training adds. Off by default only to keep the
# demo under 10 minutes on 2 cores (it adds ~2); the README shows its numbers.
$(RUN)/control/model/config.json: $(call init_dep,$(call init_of,0)) $(D)/MANIFEST.json $(S)/train
	@mkdir -p $(RUN)/control
	$(call fine_tune,$(D)/seed-pairs.jsonl.zst,$(call init_of,0),$(STEPS),$(RUN)/control/model)

# The unverified-samples control (CONTROL=unverified): round 1's starting model trained the same STEPS on as
# many examples as round 1's train.jsonl.zst holds, drawn from round 1's samples whatever their verdict (exact
# duplicates dropped, at most CAP per problem, as kept is), plus the seed set when round 1 had it: the same
# budget and the same format, without the reward.
CU := $(RUN)/control-unverified
$(CU)/train.jsonl.zst: $(RUN)/round-1/samples.jsonl.zst $(RUN)/round-1/train.jsonl.zst $(S)/filter $(S)/train
	@mkdir -p $(@D)
	n=$$(zstdcat $(RUN)/round-1/kept.jsonl.zst | wc -l); \
	st-filter --allow-empty --by $(BY_FIELD) --dedup completion --cap $(CAP) --cap-pick random --seed $(SEED) $< \
	  | st-filter --allow-empty --cap-pick random --seed $(SEED) $$(if [ $$n -gt 0 ]; then echo --cap $$n; else echo --where false; fi) \
	  | st-filter --allow-empty $(train_fields) \
	  | st-mix -$(if $(filter 1,$(SEED_MIX)), $(D)/seed-pairs.jsonl.zst) --seed $(SEED) -q -o $@
$(CU)/model/config.json: $(CU)/train.jsonl.zst $(call init_dep,$(call init_of,0)) $(S)/train
	@mkdir -p $(CU)
	$(call fine_tune,$<,$(call init_of,0),$(STEPS),$(CU)/model)
SHARD_IDS := $(shell seq 0 $$(( $(SHARDS) - 1 )))
$(foreach n,$(ROUND_IDS),$(eval $(call round,$(n),$(shell echo $$(($(n)-1))))))
$(foreach d,$(EVAL_DIRS),$(eval $(call evaluate,$(d))))

EVALS := $(foreach d,$(EVAL_DIRS),$(RUN)/$(d)/eval.json)
$(RUN)/rounds.json: $(EVALS) $(S)/report
	@mkdir -p $(@D)
	st-eval $(foreach d,$(EVAL_DIRS),$(d)=$(RUN)/$(d)/eval-verified.jsonl.zst) --k 1 \
	  --table --plot $(RUN)/rounds.svg --plot-metrics greedy -o $@

# EXTRA_EVALS: $(call extra_eval,K,NAME,SPLIT,N,TEMP,TOP_P) evaluates round K's model once more.
extra_problems = $(if $(filter train,$(1)),$(RUN)/problems-train.jsonl.zst,$(RUN)/problems-$(1).jsonl.zst)
define extra_eval
$(RUN)/round-$(1)/eval-$(2)-samples.jsonl.zst: $(call extra_problems,$(3)) $(RUN)/round-$(1)/model/config.json $(S)/eval-$(2)
	@mkdir -p $$(@D)
	$(call sample,$$<,$(RUN)/round-$(1)/model,$(EVAL_METHODS),-n $(4) --temperature $(5) --top-p $(6),--seed $(SEED) -o $$@)
$(RUN)/round-$(1)/eval-$(2)-verified.jsonl.zst: $(RUN)/round-$(1)/eval-$(2)-samples.jsonl.zst
	st-verify $$< -o $$@
endef
define extra_split
$(RUN)/problems-$(1).jsonl.zst: $(D)/MANIFEST.json $(S)/problems
	@mkdir -p $$(@D)
	st-filter --cap $(EVAL_PROBLEMS) $(D)/arith-$(1).jsonl.zst -o $$@
endef
extra_field = $(word $(2),$(subst :, ,$(1)))
$(foreach e,$(EXTRA_EVALS),$(foreach n,0 $(ROUND_IDS),$(eval $(call extra_eval,$(n),$(call extra_field,$(e),1),$(call extra_field,$(e),2),$(call extra_field,$(e),3),$(call extra_field,$(e),4),$(call extra_field,$(e),5)))))
$(foreach s,$(sort $(filter-out train,$(foreach e,$(EXTRA_EVALS),$(word 2,$(subst :, ,$(e)))))),$(eval $(call extra_split,$(s))))

# `make real`: one self-training round of the real SmolLM2-135M-Instruct (GGUF from `make models`) on st-tasks'
# arithmetic, chat-form worked solutions, evaluated greedily on held-out problems of the same families beside
# the unverified-samples control. Sizes chosen to fit this shared 2-core machine (README: self-training
# SmolLM2); every one can be changed on the command line (REAL_SET, or the variables themselves).
REAL_RUN ?= out/real
REAL_SET ?= MODEL=smollm2 METHODS=chat-text TRAIN_SPLIT=train EVAL_SPLIT=test TRAIN_PROBLEMS=100 EVAL_PROBLEMS=100 \
  N=4 TEMP=0.7 TOPK=40 MAX_TOKENS=64 CAP=4 CONTEXT=256 BATCH=4 STEPS=12 WARMUP=2 LR=5e-5 CONTROL=unverified \
  TASK_FLAGS="--seed-size 100 --max-difficulty 3 --corpus-bytes 10000"
REAL_DIRS := round-0 round-1 control-unverified
.PHONY: real
## real: one self-training round of SmolLM2-135M-Instruct on arithmetic, with the unverified control (README)
real: build models
	@$(MAKE) --no-print-directory RUN=$(REAL_RUN) $(REAL_SET) $(foreach d,$(REAL_DIRS),$(REAL_RUN)/$(d)/eval-verified.jsonl.zst)
	@st-eval $(foreach d,$(REAL_DIRS),$(d)=$(REAL_RUN)/$(d)/eval-verified.jsonl.zst) --k 1 --table \
	  --plot $(REAL_RUN)/rounds.svg --plot-metrics greedy -o $(REAL_RUN)/rounds.json
	@echo "real: files under $(REAL_RUN)/; the table above is $(REAL_RUN)/rounds.json, the plot $(REAL_RUN)/rounds.svg"
