# Environments: the attempt lifecycle (Celery, cluster backends). Included by the top-level Makefile.
PYTHON ?= .venv/bin/python
LIFECYCLE_DIR := platform/lifecycle

.PHONY: bench-provision kind

## bench-provision: 20 attempts started at once on the namespace backend: Start→ready p50/p95 and worker throughput (JSON last line)
bench-provision: python controlplane
	@$(PYTHON) $(LIFECYCLE_DIR)/bench

## kind: build the real kind CLI (once) from the Go module proxy and print its path
kind:
	@$(LIFECYCLE_DIR)/build-kind
