# st-eval (Sources/Eval, Sources/st-eval). See docs/st-eval.md.
.PHONY: bench-eval

## bench-eval: st-eval throughput (with and without bootstrap) beside jq | awk computing pass@1
bench-eval: build
	@EVAL_BENCH_RECORDS=$(EVAL_BENCH_RECORDS) bash bench/eval.sh
EVAL_BENCH_RECORDS ?= 240000
