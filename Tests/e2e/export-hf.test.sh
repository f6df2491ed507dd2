# The other way: a model st-train fine-tunes from the SmolLM2 GGUF is a directory transformers loads with
# AutoModelForCausalLM and AutoTokenizer alone, giving st-eval's loss. Always checks the files transformers
# reads (config.json's LlamaForCausalLM keys, the tokenizer files with the GGUF's chat template and special
# tokens); with torch and transformers importable, scripts/reference/check_st_export.py loads the directory
# and compares the loss of the chat pairs to 1e-4 relative. Skipped, saying so, when the model is absent.
. "$ST_ROOT/Tests/e2e/lib.sh"
G=${ST_SMOLLM2_GGUF:-}
if [ -z "$G" ] || [ ! -f "$G" ]; then echo "skipped: no SmolLM2 GGUF (run make models)"; exit 0; fi

cat > pairs.jsonl <<'EOF'
{"prompt": "What is 7 times 6?", "completion": "7 * 6 = 42. The answer is 42."}
{"prompt": "Tom has 3 apples and buys 5 more. How many apples does he have?", "completion": "3 + 5 = 8.\n#### 8"}
EOF
st-train pairs.jsonl --init "$G" --chat --steps 1 --batch 2 --context 128 --lr 1e-4 -q -o ft
# config.json: what transformers' LlamaConfig needs, from the GGUF's metadata
jq -e '.architectures == ["LlamaForCausalLM"] and .model_type == "llama" and .vocab_size == 49152
  and .hidden_size == 576 and .num_hidden_layers == 30 and .num_attention_heads == 9 and .num_key_value_heads == 3
  and .head_dim == 64 and .rope_theta == 100000 and .tie_word_embeddings == true and .torch_dtype == "float32"
  and .bos_token_id == 1 and .eos_token_id == 2 and .max_position_embeddings == 8192' ft/config.json > /dev/null ||
  die "config.json lacks what transformers needs: $(cat ft/config.json)"
# the tokenizer files AutoTokenizer reads: tokenizer.json, tokenizer_config.json with the template and the
# special tokens by text, generation_config.json with the ids
jq -e '.model.type == "BPE" and (.model.merges | length) > 40000 and (.added_tokens | map(.content) | index("<|im_end|>")) != null' \
  ft/tokenizer.json > /dev/null || die "tokenizer.json is not the GGUF's vocabulary"
jq -e '.tokenizer_class == "GPT2Tokenizer" and .bos_token == "<|im_start|>" and .eos_token == "<|im_end|>"
  and (.chat_template | contains("<|im_start|>assistant"))' ft/tokenizer_config.json > /dev/null ||
  die "tokenizer_config.json: $(head -c 300 ft/tokenizer_config.json)"
jq -e '.bos_token_id == 1 and .eos_token_id == 2' ft/generation_config.json > /dev/null || die "generation_config.json"
assert_no_file ft/st-tokenizer.json

st-eval --loss pairs.jsonl --model ft --chat --context 256 --batch 2 -q -o loss.json
jq -e '.tokens > 0 and .loss > 0' loss.json > /dev/null || die "st-eval --loss: $(cat loss.json)"
if python3 -c 'import torch, transformers' 2>/dev/null; then
  python3 "$ST_ROOT/scripts/reference/check_st_export.py" --loss ft pairs.jsonl loss.json 2>/dev/null ||
    die "transformers' loss on st's directory differs from st-eval's"
else
  echo "note: torch/transformers not importable; checked the files only"
fi
echo ok
