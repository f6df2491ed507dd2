#!/usr/bin/env python3
"""Writes the golden files of st's GGUF SentencePiece-vocabulary test (tokenizer.ggml.model = "llama", the
Llama 2 / Mistral / TinyLlama GGUFs): a small GGUF whose vocabulary is SentencePiece-shaped, and the ids
transformers' GGUF tokenizer (AutoTokenizer.from_pretrained(dir, gguf_file=...)) gives for a set of hard texts.

  python3 scripts/reference/gguf_spm_ref.py [OUT_DIR]          # default Tests/Golden/gguf-spm

The vocabulary comes from a byte-fallback BPE trained with the tokenizers library on a fixed text, laid out as
llama.cpp's converter lays out a SentencePiece model: <unk> (type 2, unknown), <s> and </s> (type 3, control),
the 256 byte pieces <0x00>..<0xFF> (type 6), then the learned pieces (type 1, normal) scored by -rank as
SentencePiece BPE scores its pieces; one user-defined piece (type 4) and one more control token at the end.
No merges are stored (SentencePiece GGUFs have none): the reader derives them from the scores.

  spm.gguf         metadata only (general.architecture llama, tokenizer.ggml.*; no tensors)
  spm.json         {"texts": [...], "ids": [[...]], "decoded": [...]}: transformers' encode (special tokens
                   added: <s> first, as llama.cpp's add_bos) and decode(skip_special_tokens=True)
"""
import json
import os
import sys
import tempfile

import gguf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Golden", "gguf-spm")
os.makedirs(OUT, exist_ok=True)

CORPUS = [
    "The quick brown fox jumps over the lazy dog. " * 3,
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "How many clips did Natalia sell altogether in April and May? Natalia sold 48/2 = 24 clips in May.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n",
    "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting.",
    "In the beginning the Universe was created. This has made a lot of people very angry.",
    "Überall Straße café naïve résumé — «quotes» and “curly” ones.",
]

bpe = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
bpe.decoder = decoders.Metaspace()
bpe.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=240, special_tokens=["<unk>", "<s>", "</s>"],
                                                    show_progress=False))
learned = sorted(bpe.get_vocab().items(), key=lambda kv: kv[1])
pieces = [t for t, _ in learned if t not in ("<unk>", "<s>", "</s>")]

tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
types = [2, 3, 3] + [6] * 256
scores = [0.0, 0.0, 0.0] + [0.0] * 256
for r, p in enumerate(p for p in pieces if p not in tokens):
    tokens.append(p); types.append(1); scores.append(-float(r))
tokens += ["<|user|>", "<|tool|>"]
types += [4, 3]
scores += [0.0, 0.0]

path = os.path.join(OUT, "spm.gguf")
w = gguf.GGUFWriter(path, "llama")
w.add_name("st-spm-test")
w.add_tokenizer_model("llama")
w.add_token_list(tokens)
w.add_token_scores(scores)
w.add_token_types(types)
w.add_unk_token_id(0)
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_add_bos_token(True)
w.add_add_eos_token(False)
w.add_add_space_prefix(True)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

TEXTS = [
    "", " ", "  ", "Hello world", " Hello world", "Hello  world  ", "the lazy dog", "The quick brown fox.",
    "Natalia sold 48/2 = 24 clips in May.", "def add(a, b):\n    return a + b\n", "\ttabs\tand\nnewlines\n\n",
    "Straße café naïve", "日本語のテキスト", "emoji 👩‍👩‍👧 and 🎉", "e\u0301 combining", "שלום עולם", "digits 1234567890",
    "<s> inside </s> text", "a <|user|> b<|tool|>c", "<unk>", "xyzzy qwerty", "▁already▁marked", "mixed\u00a0nbsp",
    "ÿ\u0000\u007f control bytes",
]
tok = AutoTokenizer.from_pretrained(OUT, gguf_file="spm.gguf")
ids = [tok(t)["input_ids"] for t in TEXTS]
decoded = [tok.decode(i, skip_special_tokens=True) for i in ids]
with open(os.path.join(OUT, "spm.json"), "w") as f:
    json.dump({"texts": TEXTS, "ids": ids, "decoded": decoded}, f, ensure_ascii=False, indent=0)
if os.environ.get("ST_SPM_SAVE"):       # transformers' tokenizer files, to read (not committed)
    tok.save_pretrained(os.environ["ST_SPM_SAVE"])
print(f"{path}: {len(tokens)} tokens; spm.json: {len(TEXTS)} texts")
