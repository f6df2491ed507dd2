# A GGUF's SentencePiece vocabulary (tokenizer.ggml.model "llama": Llama 2, Mistral, TinyLlama) through the
# tools: st-train --tokenizer spm.gguf trains with it and writes the tokenizer files transformers' AutoTokenizer
# reads (checked against the golden ids of scripts/reference/gguf_spm_ref.py when transformers is importable).
# And text a vocabulary cannot represent (no token, no <unk>, no byte fallback) is a one-line error naming
# the record and the tokenizer, in st-train, st-eval --loss and st-sample, with nothing written.
. "$ST_ROOT/Tests/e2e/lib.sh"
spm="$ST_ROOT/Tests/Golden/gguf-spm"

printf '{"text": "The quick brown fox jumps over the lazy dog."}\n{"text": "Natalia sold 48/2 = 24 clips in May."}\n' > docs.jsonl
st-train docs.jsonl --tokenizer "$spm/spm.gguf" --hidden 32 --layers 1 --heads 2 --steps 2 -q -o m
jq -e '.vocab_size == 498 and .bos_token_id == 1 and .eos_token_id == 2' m/config.json > /dev/null || die "config.json: $(cat m/config.json)"
jq -e '.tokenizer_class == "LlamaTokenizer" and .bos_token == "<s>" and .eos_token == "</s>" and .unk_token == "<unk>"
  and .add_bos_token == true' m/tokenizer_config.json > /dev/null || die "tokenizer_config.json: $(cat m/tokenizer_config.json)"
jq -e '.model.byte_fallback == true and .pre_tokenizer.type == "Metaspace"' m/tokenizer.json > /dev/null || die "tokenizer.json"
st-eval --loss docs.jsonl --model m -q -o loss.json
jq -e '.tokens >= 20' loss.json > /dev/null || die "st-eval --loss: $(cat loss.json)"
if python3 -c 'import transformers' 2>/dev/null; then
  python3 - "$spm/spm.json" m <<'EOF' || die "AutoTokenizer on st's directory differs from transformers' GGUF tokenizer"
import json, sys
from transformers import AutoTokenizer
g = json.load(open(sys.argv[1]))
tok = AutoTokenizer.from_pretrained(sys.argv[2])
bad = [t for t, ids in zip(g["texts"], g["ids"]) if tok(t)["input_ids"] != ids]
sys.exit(f"{len(bad)} texts differ, first {bad[0]!r}" if bad else 0)
EOF
fi

# a vocabulary without <unk> or byte fallback: "c" has no token
mkdir tok
cat > tok/tokenizer.json <<'EOF'
{"version": "1.0", "added_tokens": [{"id": 3, "content": "<eos>", "special": true, "normalized": false}],
 "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<eos>": 3}, "merges": [["a", "b"]]}}
EOF
printf '{"eos_token": "<eos>"}' > tok/tokenizer_config.json
printf '{"text": "abab"}\n{"text": "abc"}\n' > bad.jsonl
expect_error 1 '^st-train: bad.jsonl:2: .*tok/tokenizer.json: cannot encode "c" \(U\+0063\)' \
  st-train bad.jsonl --tokenizer tok --hidden 16 --layers 1 --heads 2 --steps 1 -q -o bad
assert_no_file bad bad.partial
printf '{"text": "abab"}\n' > good.jsonl
st-train good.jsonl --tokenizer tok --hidden 16 --layers 1 --heads 2 --steps 1 -q -o m2
expect_error 1 'bad.jsonl:2: .*cannot encode "c"' st-eval --loss bad.jsonl --model m2 -q -o l.json
assert_no_file l.json
printf '{"id": "1", "question": "abc"}\n' > q.jsonl
printf 'name: plain\n---\n{question}' > plain.method
expect_error 1 'cannot encode "c"' st-sample q.jsonl --model m2 --method plain.method --max-tokens 2 -o s.jsonl
assert_no_file s.jsonl
echo ok
