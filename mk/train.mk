# st-train (Sources/Train, Sources/st-train). See docs/st-train.md.
.PHONY: bench-train

## bench-train: st-train end to end on configs S and M (data loading and packing included) beside the bare step
bench-train: build
	@bash bench/train.sh
