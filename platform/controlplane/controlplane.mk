# The local Kubernetes control plane (see platform/controlplane/README.md).
# Included by the top-level Makefile, which defines PYTHON and the python (venv) target.

CONTROLPLANE_DIR := platform/controlplane
PYTHON ?= .venv/bin/python
# Which local cluster cluster-up / cluster-down act on: make cluster-up CLUSTER=demo
CLUSTER ?= breakfix

.PHONY: controlplane kubectl-table openapi-table cluster-up cluster-down bench-controlplane

## controlplane: build (once) and cache etcd, kube-apiserver, kcm, scheduler, kubectl, kwok and kwokctl
controlplane:
	@$(CONTROLPLANE_DIR)/build

## kubectl-table: refresh challenges/console/tables/ (the console's kubectl command table) from the build
kubectl-table:
	@$(CONTROLPLANE_DIR)/kubectl-table

## openapi-table: refresh challenges/lint/kubernetes-<version>.json (the content linter's schema) from the pinned API server
openapi-table: controlplane python
	@$(CONTROLPLANE_DIR)/openapi-table

## cluster-up: start the local cluster and print its kubeconfig path
cluster-up: controlplane python
	@$(CONTROLPLANE_DIR)/up $(CLUSTER)

## cluster-down: stop the local cluster and remove its state
cluster-down:
	@$(CONTROLPLANE_DIR)/down $(CLUSTER)

## bench-controlplane: measure build, start-up, endpoints and memory of a throwaway cluster
bench-controlplane: controlplane python
	@$(PYTHON) $(CONTROLPLANE_DIR)/bench
