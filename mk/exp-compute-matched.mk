# Experiment 3 (EXPERIMENTS.md), compute-matched sampling ("Smaller, Weaker, Yet Better"): a weak-cheap (WC) and a
# strong-expensive (SE) model from one recipe (pre-trained on the 25%-code mixture, fine-tuned on the seed
# set), about 3x apart in parameters. SE draws CM_N_SE chain-of-thought samples per training problem, WC
# round(P_SE / P_WC * CM_N_SE): equal sampling compute, which the FLOPs st-sample records show. Datasets:
#   se       every SE sample
#   wc       every WC sample (compute-matched)
#   wc-nm    WC's first CM_N_SE samples per problem (number-matched control)
#   wc-1     WC's correct samples collapsed to one per problem (the collapsed control; fine-tuning only)
# Data quality of each: coverage, diversity and false-positive rate (every equation checked) at its own
# budget. Then each dataset's answer-correct samples (the paper filters on the final answer only) fine-tune
# three models for the same CM_FT_STEPS steps, keeping the best of 10 evenly spaced validation points
# (st-train --val-every, --keep best; loss on gold solutions of arith-val):
#   student  a third, smaller model (distillation)     on se, wc, wc-nm, wc-1
#   self     the WC model (self-improvement)           on se, wc
#   w2s      the SE model (weak-to-strong)             on se, wc
# CM_FT_FROM says which of each model: sft (full default), its seed-set SFT, in the part the paper's
# few-shot-capable bases play, as a pre-trained base here cannot do the task at all; or base (QUICK), the
# pre-trained base, as the paper does. Every fine-tuned model is evaluated greedily on the arithmetic test
# problems (text method).
#   OUT/{wc,se,student}/base/, OUT/{wc,se,student}/sft/, OUT/n-samples.txt, OUT/{se,wc}-verified.jsonl.zst, ...
#   OUT/quality.txt (+ quality.json, quality.svg)   data quality, compute
#   OUT/ft/<model>-<data>/model/, eval-verified.jsonl.zst
#   OUT/results.json, results.txt, results.svg       st-eval: every fine-tuned model; per setting below it
include $(dir $(lastword $(MAKEFILE_LIST)))exp-common.mk

ifeq ($(QUICK),1)
CM_OUT            ?= out/exp-compute-matched-quick
CM_WC_ARCH        ?= --hidden 64 --layers 2 --heads 2
CM_SE_ARCH        ?= --hidden 64 --layers 6 --heads 2
CM_STUDENT_ARCH   ?= --hidden 48 --layers 2 --heads 2
CM_CONTEXT        ?= 256
CM_PRETRAIN_STEPS ?= 600
CM_SFT_STEPS      ?= 1500
CM_TRAIN_PROBLEMS ?= 200
CM_N_SE           ?= 2
CM_FT_STEPS       ?= 600
CM_EVAL_PROBLEMS  ?= 200
CM_SEED_MIX       ?= 1
CM_FT_FROM        ?= base
else
CM_OUT            ?= out/exp-compute-matched
CM_WC_ARCH        ?= --hidden 128 --layers 4 --heads 4
CM_SE_ARCH        ?= --hidden 128 --layers 12 --heads 4
CM_STUDENT_ARCH   ?= --hidden 96 --layers 4 --heads 4
CM_CONTEXT        ?= 512
CM_PRETRAIN_STEPS ?= 300
CM_SFT_STEPS      ?= 1200
CM_TRAIN_PROBLEMS ?= 300
CM_N_SE           ?= 4
CM_FT_STEPS       ?= 400
CM_EVAL_PROBLEMS  ?= 300
CM_SEED_MIX       ?= 0
CM_FT_FROM        ?= sft
endif
ifeq ($(filter base sft,$(CM_FT_FROM)),)
$(error CM_FT_FROM=$(CM_FT_FROM): expected base or sft)
endif
CM_BATCH          ?= 8
CM_PRETRAIN_LR    ?= 3e-3
CM_LR             ?= 1e-3
CM_TEMP           ?= 0.7
CM_TOPK           ?= 40
CM_MAX_TOKENS     ?= 160
CM_VAL_PROBLEMS   ?= 200

ifneq ($(filter exp-compute-matched $(CM_OUT)/%,$(MAKECMDGOALS)),)
$(exp_data_stamp)
$(call settings_stamp,$(CM_OUT),base,$(CM_WC_ARCH) / $(CM_SE_ARCH) / $(CM_STUDENT_ARCH) $(CM_CONTEXT) $(CM_BATCH) $(CM_PRETRAIN_STEPS) $(CM_PRETRAIN_LR) $(EXP_SEED))
$(call settings_stamp,$(CM_OUT),sft,$(CM_SFT_STEPS) $(CM_LR))
$(call settings_stamp,$(CM_OUT),sample,$(CM_TRAIN_PROBLEMS) $(CM_N_SE) $(CM_TEMP) $(CM_TOPK) $(CM_MAX_TOKENS) $(EXP_SEED))
$(call settings_stamp,$(CM_OUT),ft,$(CM_FT_STEPS) $(CM_LR) $(CM_SEED_MIX) $(CM_VAL_PROBLEMS) $(CM_FT_FROM))
$(call settings_stamp,$(CM_OUT),eval,$(CM_EVAL_PROBLEMS) $(CM_MAX_TOKENS))
endif

## exp-compute-matched: experiment 3, weak-cheap vs strong-expensive data at equal sampling FLOPs; QUICK=1
$(eval $(call exp_target,exp-compute-matched,$(CM_OUT),$(CM_OUT)/quality.txt $(CM_OUT)/results.txt,$(CM_OUT)/quality.svg $(CM_OUT)/results.svg))

# Bases: one recipe, three sizes.
define cm_base
$(CM_OUT)/$(1)/base/config.json: $(EXP_DATA)/corpus-25.jsonl.zst $(BIN)/st-train $(CM_OUT)/.settings/base
	@mkdir -p $(CM_OUT)/$(1)
	st-train $$< $(2) --context $(CM_CONTEXT) --batch $(CM_BATCH) --steps $(CM_PRETRAIN_STEPS) --lr $(CM_PRETRAIN_LR) \
	  --warmup 30 --seed $(EXP_SEED) -q -o $(CM_OUT)/$(1)/base
$(CM_OUT)/$(1)/sft/config.json: $(CM_OUT)/$(1)/base/config.json $(XD)/MANIFEST.json $(CM_OUT)/.settings/sft
	st-train $(XD)/seed-pairs.jsonl.zst --init $(CM_OUT)/$(1)/base --steps $(CM_SFT_STEPS) --lr $(CM_LR) --warmup 10 \
	  --context $(CM_CONTEXT) --batch $(CM_BATCH) --seed $(EXP_SEED) -q -o $(CM_OUT)/$(1)/sft
endef
$(eval $(call cm_base,wc,$(CM_WC_ARCH)))
$(eval $(call cm_base,se,$(CM_SE_ARCH)))
$(eval $(call cm_base,student,$(CM_STUDENT_ARCH)))

# Weight-matmul parameters (what st-sample's flops count, lm_head included): samples per problem for WC.
CM_PARAMS = .num_hidden_layers * (2 * .hidden_size * .num_attention_heads * .head_dim \
              + 2 * .hidden_size * .num_key_value_heads * .head_dim + 3 * .hidden_size * .intermediate_size) \
            + .vocab_size * .hidden_size
$(CM_OUT)/n-samples.txt: $(CM_OUT)/wc/sft/config.json $(CM_OUT)/se/sft/config.json $(CM_OUT)/.settings/sample
	p_wc=$$(jq '$(CM_PARAMS)' $(CM_OUT)/wc/sft/config.json); p_se=$$(jq '$(CM_PARAMS)' $(CM_OUT)/se/sft/config.json); \
	  echo "p_wc=$$p_wc p_se=$$p_se ratio=$$(awk "BEGIN { printf \"%.3f\", $$p_se / $$p_wc }") n_se=$(CM_N_SE)" \
	       "n_wc=$$(awk "BEGIN { printf \"%d\", $$p_se / $$p_wc * $(CM_N_SE) + 0.5 }")" > $@.tmp && mv $@.tmp $@
cm_n_wc = $$(sed 's/.*n_wc=//' $(CM_OUT)/n-samples.txt)

$(CM_OUT)/problems-train.jsonl.zst: $(XD)/MANIFEST.json $(CM_OUT)/.settings/sample
	st-filter --cap $(CM_TRAIN_PROBLEMS) $(XD)/arith-train.jsonl.zst -o $@
$(CM_OUT)/problems-eval.jsonl.zst: $(XD)/MANIFEST.json $(CM_OUT)/.settings/eval
	st-filter --cap $(CM_EVAL_PROBLEMS) $(XD)/arith-test.jsonl.zst -o $@

$(CM_OUT)/se-samples.jsonl.zst: $(CM_OUT)/problems-train.jsonl.zst $(CM_OUT)/n-samples.txt
	st-sample $< --model $(CM_OUT)/se/sft --method text -n $(CM_N_SE) --temperature $(CM_TEMP) --top-k $(CM_TOPK) \
	  --max-tokens $(CM_MAX_TOKENS) --seed $(EXP_SEED) -q -o $@
$(CM_OUT)/wc-samples.jsonl.zst: $(CM_OUT)/problems-train.jsonl.zst $(CM_OUT)/n-samples.txt
	st-sample $< --model $(CM_OUT)/wc/sft --method text -n $(cm_n_wc) --temperature $(CM_TEMP) --top-k $(CM_TOPK) \
	  --max-tokens $(CM_MAX_TOKENS) --seed $(EXP_SEED) -q -o $@
$(CM_OUT)/%-verified.jsonl.zst: $(CM_OUT)/%-samples.jsonl.zst
	st-verify $< -q -o $@
$(CM_OUT)/wc-nm-verified.jsonl.zst: $(CM_OUT)/wc-verified.jsonl.zst
	st-filter --where 'sample < $(CM_N_SE)' $< -o $@

# jq and awk programs of the quality table (Make joins the continued lines with spaces)
CM_QUALITY_JQ  = [to_entries[] | $$p[.key] as $$P | .value | .k[-1] as $$k | .inputs[0] | {dataset: .label, \
                  samples_per_problem: $$k, problems: .all.problems, params: $$P, completion_tokens: .all.completion_tokens, \
                  generated_flops: (2 * $$P * .all.completion_tokens), flops: .all.flops, correct: .all.correct, coverage: .all["coverage@\($$k)"], \
                  coverage_ci: .all.ci["coverage@\($$k)"], diversity: .all["diversity@\($$k)"], \
                  diversity_ci: .all.ci["diversity@\($$k)"], fpr: .all.fpr, fpr_n: .all.fpr_n}]
CM_QUALITY_ROW = .[] | [.dataset, .samples_per_problem, .problems, .generated_flops, .flops, .correct, .coverage * 100, .coverage_ci[0] * 100, \
                  .coverage_ci[1] * 100, .diversity, .diversity_ci[0], .diversity_ci[1], \
                  (if .fpr == null then "-" else .fpr * 100 end), .fpr_n] | @tsv
CM_QUALITY_AWK = { printf "%-7s %6d %9d %11.3e %10.3e %8d %10.1f %5.1f..%5.1f %9.2f %5.2f..%5.2f %6s %6d\n", \
                   $$1, $$2, $$3, $$4, $$5, $$6, $$7, $$8, $$9, $$10, $$11, $$12, ($$13 == "-" ? "-" : sprintf("%.1f", $$13)), $$14 }

# Data quality. One st-eval over the three datasets at K up to CM_N_SE (number-matched), and each dataset at
# its own budget; quality.txt puts coverage, diversity and fpr at each dataset's own budget side by side,
# with the compute spent: 2*P*tokens is the paper's cost (2 x parameters x generated tokens), flops is
# st-sample's full count (the prompt's prefill, shared by a problem's samples, and attention included).
$(CM_OUT)/quality.json: $(CM_OUT)/se-verified.jsonl.zst $(CM_OUT)/wc-verified.jsonl.zst $(CM_OUT)/wc-nm-verified.jsonl.zst
	st-eval se=$(CM_OUT)/se-verified.jsonl.zst wc-nm=$(CM_OUT)/wc-nm-verified.jsonl.zst wc=$(CM_OUT)/wc-verified.jsonl.zst \
	  --k 1,$(CM_N_SE) --table --plot $(CM_OUT)/quality.svg -o $(CM_OUT)/quality-nm.json > $(CM_OUT)/quality-nm.txt
	st-eval se=$(CM_OUT)/se-verified.jsonl.zst --k $(CM_N_SE) -q -o $(CM_OUT)/quality-se.json
	st-eval wc=$(CM_OUT)/wc-verified.jsonl.zst --k $(cm_n_wc) -q -o $(CM_OUT)/quality-wc.json
	st-eval wc-nm=$(CM_OUT)/wc-nm-verified.jsonl.zst --k $(CM_N_SE) -q -o $(CM_OUT)/quality-wc-nm.json
	jq -s --argjson p "$$(sed 's/p_wc=\([0-9]*\) p_se=\([0-9]*\).*/[\2,\1,\1]/' $(CM_OUT)/n-samples.txt)" '$(CM_QUALITY_JQ)' $(CM_OUT)/quality-se.json $(CM_OUT)/quality-wc.json $(CM_OUT)/quality-wc-nm.json > $@.tmp
	{ cat $(CM_OUT)/n-samples.txt; \
	  printf '%-7s %6s %9s %11s %10s %8s %10s %12s %9s %12s %6s %6s\n' dataset n/prob problems 2*P*tokens flops correct coverage% "[95% CI]" diversity "[95% CI]" fpr% fpr_n; \
	  jq -r '$(CM_QUALITY_ROW)' $@.tmp | awk -F'\t' '$(CM_QUALITY_AWK)'; \
	  echo; echo "number-matched (K <= $(CM_N_SE) for every dataset):"; cat $(CM_OUT)/quality-nm.txt; } > $(CM_OUT)/quality.txt
	mv $@.tmp $@

# Fine-tuning data: answer-correct samples as prompt/completion pairs (plus the seed set when CM_SEED_MIX=1).
$(CM_OUT)/data-%.jsonl.zst: $(CM_OUT)/%-verified.jsonl.zst $(CM_OUT)/.settings/ft
	st-filter --allow-empty --where 'reward == 1' --keep-fields prompt_text,completion --rename prompt_text=prompt $< \
	  | st-mix - $(if $(filter 1,$(CM_SEED_MIX)),$(XD)/seed-pairs.jsonl.zst) --seed $(EXP_SEED) -q -o $@
$(CM_OUT)/data-wc-1.jsonl.zst: $(CM_OUT)/wc-verified.jsonl.zst $(CM_OUT)/.settings/ft
	st-filter --allow-empty --where 'reward == 1' --by id --cap 1 --cap-pick random --seed $(EXP_SEED) \
	  --keep-fields prompt_text,completion --rename prompt_text=prompt $< \
	  | st-mix - $(if $(filter 1,$(CM_SEED_MIX)),$(XD)/seed-pairs.jsonl.zst) --seed $(EXP_SEED) -q -o $@
# Validation: gold chain-of-thought solutions of arith-val in the text method's prompt (st-sample renders the
# prompt; one token is drawn and dropped).
$(CM_OUT)/val-pairs.jsonl.zst: $(CM_OUT)/wc/sft/config.json $(CM_OUT)/.settings/ft
	st-filter --cap $(CM_VAL_PROBLEMS) $(XD)/arith-val.jsonl.zst \
	  | st-sample --model $(CM_OUT)/wc/sft --method text -n 1 --temperature 0 --max-tokens 1 -q \
	  | jq -c '{prompt: .prompt_text, completion: (.solution_text + "\n")}' | zstd -q -o $@.tmp && mv $@.tmp $@

CM_FT := student-se student-wc student-wc-nm student-wc-1 self-se self-wc w2s-se w2s-wc
cm_init = $(CM_OUT)/$(patsubst self,wc,$(patsubst w2s,se,$(1)))/$(CM_FT_FROM)
define cm_ft
$(CM_OUT)/ft/$(1)-$(2)/model/config.json: $(CM_OUT)/data-$(2).jsonl.zst $(CM_OUT)/val-pairs.jsonl.zst $(call cm_init,$(1))/config.json
	@mkdir -p $(CM_OUT)/ft/$(1)-$(2)
	st-train $$< --init $(call cm_init,$(1)) --steps $(CM_FT_STEPS) --lr $(CM_LR) --warmup 10 --context $(CM_CONTEXT) \
	  --batch $(CM_BATCH) --val $(CM_OUT)/val-pairs.jsonl.zst --val-every $$$$(( $(CM_FT_STEPS) / 10 )) --keep best \
	  --seed $(EXP_SEED) -q -o $(CM_OUT)/ft/$(1)-$(2)/model
endef
$(foreach f,$(CM_FT),$(eval $(call cm_ft,$(firstword $(subst -, ,$(f))),$(patsubst $(firstword $(subst -, ,$(f)))-%,%,$(f)))))

# Greedy evaluation on the held-out test problems: the two samplers and every fine-tuned model.
$(CM_OUT)/ft/%/eval-verified.jsonl.zst: $(CM_OUT)/problems-eval.jsonl.zst $(CM_OUT)/ft/%/model/config.json
	st-sample $< --model $(CM_OUT)/ft/$*/model --method text -n 1 --temperature 0 --max-tokens $(CM_MAX_TOKENS) -q \
	  | st-verify -q -o $@
$(CM_OUT)/%/eval-verified.jsonl.zst: $(CM_OUT)/problems-eval.jsonl.zst $(CM_OUT)/%/sft/config.json
	st-sample $< --model $(CM_OUT)/$*/sft --method text -n 1 --temperature 0 --max-tokens $(CM_MAX_TOKENS) -q \
	  | st-verify -q -o $@

cm_eval = $(1)=$(CM_OUT)/ft/$(1)/eval-verified.jsonl.zst
$(CM_OUT)/results.json: $(CM_OUT)/quality.json $(foreach f,$(CM_FT),$(CM_OUT)/ft/$(f)/eval-verified.jsonl.zst) \
                        $(CM_OUT)/wc/eval-verified.jsonl.zst $(CM_OUT)/se/eval-verified.jsonl.zst
	st-eval sampler-wc=$(CM_OUT)/wc/eval-verified.jsonl.zst sampler-se=$(CM_OUT)/se/eval-verified.jsonl.zst \
	  $(foreach f,$(CM_FT),$(call cm_eval,$(f))) --k 1 --plot $(CM_OUT)/results.svg --plot-metrics greedy -q -o $@.tmp.json
	{ echo "student (a third model, $(CM_STUDENT_ARCH), its $(CM_FT_FROM)), differences against SE data:"; \
	  st-eval $(foreach f,student-se student-wc student-wc-nm student-wc-1,$(call cm_eval,$(f))) --k 1 --table; \
	  echo; echo "self-improvement (the WC model's $(CM_FT_FROM)), differences against SE data:"; \
	  st-eval $(foreach f,self-se self-wc,$(call cm_eval,$(f))) --k 1 --table; \
	  echo; echo "weak-to-strong (the SE model's $(CM_FT_FROM)), differences against SE data:"; \
	  st-eval $(foreach f,w2s-se w2s-wc,$(call cm_eval,$(f))) --k 1 --table; } > $(CM_OUT)/results.txt
	mv $@.tmp.json $@
