"""The objective types. Importing this package registers every one of them."""

from validators.objectives import condition, event, log, rbac, reachability, service, spec, status

__all__ = ["condition", "event", "log", "rbac", "reachability", "service", "spec", "status"]
