# Environments: the attempt lifecycle (Celery, cluster backends). Included by the top-level Makefile.
PYTHON ?= .venv/bin/python
LIFECYCLE_DIR := platform/lifecycle

.PHONY: bench-provision bench-scale kind

## bench-provision: 20 attempts started at once on the namespace backend: Start→ready p50/p95 and worker throughput (JSON last line)
bench-provision: python controlplane
	@$(PYTHON) $(LIFECYCLE_DIR)/bench

## bench-scale: 200 Starts in a minute over HTTP across two local clusters, without and with a warm pool:
## Start→ready p50/p95/max, failures, leaks, claim latency (JSON last line; about 15 minutes)
bench-scale: python controlplane
	@$(PYTHON) $(LIFECYCLE_DIR)/bench-scale

## kind: build the real kind CLI (once) from the Go module proxy and print its path
kind:
	@$(LIFECYCLE_DIR)/build-kind
