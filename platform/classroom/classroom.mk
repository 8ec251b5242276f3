# Classrooms and the instructor dashboard (classroom app). Included by the top-level Makefile,
# which defines PYTHON and the env target.

PYTHON ?= .venv/bin/python

.PHONY: bench-dashboard

## bench-dashboard: seed 200 learners × 20 challenges in a throwaway database, time the dashboard
## (p50/p95, full page and htmx poll) at 50 and 200 learners, check its query count stays flat
bench-dashboard: env
	@url=$${BENCH_DATABASE_URL:-$$(platform/scripts/postgres start 2>/dev/null || true)}; \
	BENCH_DATABASE_URL=$$url $(PYTHON) platform/classroom/bench_dashboard $(BENCH_ARGS)
