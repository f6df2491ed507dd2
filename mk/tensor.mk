# Tensor library and Llama model (Sources/Tensor, Sources/Model). See docs/tensor.md.
DEB_NEEDS += pc:openblas:libopenblas-dev

# Python with torch + transformers for the reference scripts (optional): `make TORCH_PYTHON=/path/to/python ...`
TORCH_PYTHON ?= python3

.PHONY: bench-tensor golden-tensor check-tensor-transformers

## bench-tensor: one training step (fwd+bwd+AdamW) in tokens/s on configs S, M, L, beside PyTorch when importable
bench-tensor: build
	@TORCH_PYTHON=$(TORCH_PYTHON) bash bench/tensor.sh

## golden-tensor: rewrite Tests/Golden from PyTorch + transformers (needs torch and transformers)
golden-tensor:
	$(TORCH_PYTHON) scripts/reference/llama_golden.py Tests/Golden
	$(TORCH_PYTHON) scripts/reference/arch_golden.py Tests/Golden

## check-tensor-transformers: a model directory written by st loads in transformers with the same logits
check-tensor-transformers: build
	@if ! $(TORCH_PYTHON) -c 'import torch, transformers' 2>/dev/null; then \
	  echo "check-tensor-transformers: skipped (torch/transformers not importable by $(TORCH_PYTHON))"; \
	else d=$$(mktemp -d) && \
	  $(SWIFT) build $(BUILD_FLAGS) --build-tests >/dev/null && \
	  ST_EXPORT_DIR=$$d $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter testExportForTransformers >/dev/null && \
	  $(TORCH_PYTHON) scripts/reference/check_st_export.py $$d 2>/dev/null; rc=$$?; rm -rf $$d; exit $$rc; fi

check-full: check-tensor-transformers
