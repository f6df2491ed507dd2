# st-verify: the full conformance run (all MBPP references with their challenge tests) and the benchmark.
.PHONY: check-full-verify bench-verify
check-full: check-full-verify
check-full-verify: build
	ST_FULL=1 bash Tests/e2e/run.sh verify-conformance

## bench-verify: st-verify's benchmark alone (HumanEval x5 beside openai/human-eval, math records/s)
bench-verify: build
	bash bench/verify.sh
