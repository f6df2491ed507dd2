# st-train (Sources/Train, Sources/st-train). See docs/st-train.md.
.PHONY: bench-train

## bench-train: st-train end to end on configs S and M (data loading and packing included) beside the bare step
bench-train: build
	@bash bench/train.sh

.PHONY: golden-lora
## golden-lora: rewrite Tests/Golden/lora and Tests/Golden/smollm2-lora: PEFT against st-train --lora (needs torch, transformers, peft)
golden-lora: build models
	$(TORCH_PYTHON) scripts/reference/lora_golden.py $(BIN)
	$(TORCH_PYTHON) scripts/reference/lora_golden.py --smollm2 $(SMOLLM2) ../shared/data/gsm8k/test.jsonl $(BIN)

.PHONY: bench-train-real
## bench-train-real: st-train full fine-tune of SmolLM2-135M (8 x 256 tokens) beside PyTorch eager in one run
bench-train-real: build models
	@TORCH_PYTHON=$(TORCH_PYTHON) ST_SMOLLM2_GGUF=$(SMOLLM2) bash bench/train-real.sh
