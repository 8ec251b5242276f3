# The console runner (challenges/console/runnerd; README, "The console runner").
.PHONY: bench-runner

## bench-runner: p50/p95 of kubectl through the console runner's bwrap sandbox vs run directly, JSON last
bench-runner: controlplane env
	@platform/scripts/system-packages bwrap
	@$(PYTHON) platform/console/bench-runner
