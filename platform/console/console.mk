# The console runner (challenges/console/runnerd; README, "The console runner").
.PHONY: bench-runner bench-console

## bench-runner: p50/p95 of kubectl through the console runner's bwrap sandbox vs run directly, JSON last
bench-runner: controlplane env
	@platform/scripts/system-packages bwrap
	@$(PYTHON) platform/console/bench-runner

## bench-console: the console end to end through one web process and the sandbox: commands, Tab, concurrent streams (JSON last)
bench-console: controlplane env
	@platform/scripts/system-packages bwrap redis
	@$(PYTHON) platform/console/bench-console
