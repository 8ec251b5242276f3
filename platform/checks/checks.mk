# Check latency of every challenge against the local control plane.
.PHONY: bench-checks

## bench-checks: p50/p95 of a full check per challenge (50 runs each), JSON on the last line
bench-checks: controlplane env
	@$(PYTHON) platform/checks/bench
