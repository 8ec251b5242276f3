"""`log`: expected strings in the logs of the matched pods; a string found in any pod counts.

With `previous: true` the log read is the one `kubectl logs --previous` shows: the last
run of a container that has restarted (a crash's last words). The window then applies
only when `sinceSeconds` is given: a previous run may have ended long ago.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from validators.errors import ObjectInvalid
from validators.podsource import PodSelection, WorkloadRef, select_pods
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import Target, name_of, resolve
from validators.view import LogQuery, View

# Enough for any launch challenge; the API server would otherwise stream whole logs.
TAIL_LINES = 5000


class LogSpec(Spec):
    """`target` (kind Pod, by name or labelSelector) or `workload: {kind, name}` (its pods);
    `expectedStrings`; `container` (default: the first); `matchMode` allOf|anyOf;
    `sinceSeconds` (default 300; with `previous`, no window unless given); `previous`: read
    the last terminated run instead of the current one."""

    target: Target | None = None
    workload: WorkloadRef | None = None
    container: str | None = None
    expected_strings: list[str] = Field(min_length=1)
    match_mode: Literal["allOf", "anyOf"] = "allOf"
    since_seconds: int = Field(default=300, ge=1, le=86400)
    previous: bool = False

    @model_validator(mode="after")
    def _pods_only(self) -> Self:
        if (self.target is None) == (self.workload is None):
            raise ValueError("give exactly one of target and workload")
        if self.target is not None and self.target.kind != "Pod":
            raise ValueError(f"log objectives read Pod logs; target.kind is {self.target.kind}")
        if any(not text for text in self.expected_strings):
            raise ValueError("expectedStrings must not contain an empty string")
        return self

    @property
    def window(self) -> int | None:
        if self.previous and "since_seconds" not in self.model_fields_set:
            return None
        return self.since_seconds

    def describe(self) -> str:
        if self.workload is not None:
            return f"pods of {self.workload.describe()}"
        assert self.target is not None
        return self.target.describe()


def _no_previous_run(pod: dict[str, Any], container: str | None) -> str | None:
    """kubectl logs --previous has nothing to show for a container that never ended a run."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") != container:
            continue
        if int(status.get("restartCount") or 0) == 0 and not (status.get("lastState") or {}).get(
            "terminated"
        ):
            return f"Container {container} of pod {name_of(pod)} has not restarted, so it has no previous run"
    return None


def _quoted(strings: list[str]) -> str:
    return ", ".join(f'"{s}"' for s in strings)


def _pods(spec: LogSpec, view: View) -> tuple[list[dict[str, Any]], str | None]:
    if spec.target is not None:
        pods = resolve(spec.target, view)
        return pods, None if pods else spec.target.nothing_matched()
    pods, _, why_none = select_pods(PodSelection(workload=spec.workload), view)
    return pods, why_none


@register("log", LogSpec)
def check_log(spec: LogSpec, view: View) -> Result:
    pods, why_none = _pods(spec, view)
    if why_none:
        return Result.fail(why_none, matched=[])
    names = [name_of(pod) for pod in pods]
    found: dict[str, str] = {}  # expected string -> the pod that logged it
    unreadable: dict[str, str] = {}  # pod -> why its log could not be read
    for pod in pods:
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        container = spec.container or (containers[0] if containers else None)
        if spec.container and spec.container not in containers:
            unreadable[name_of(pod)] = f"Pod {name_of(pod)} has no container named {spec.container}"
            continue
        if spec.previous and (why := _no_previous_run(pod, container)):
            unreadable[name_of(pod)] = why
            continue
        try:
            query = LogQuery(
                name_of(pod),
                container=container,
                since_seconds=spec.window,
                previous=spec.previous,
                tail_lines=TAIL_LINES,
            )
            text = view.pod_logs(query)
        except ObjectInvalid as exc:
            unreadable[name_of(pod)] = str(exc)
            continue
        for expected in spec.expected_strings:
            if expected in text and expected not in found:
                found[expected] = name_of(pod)
        if spec.match_mode == "anyOf" and found:
            break
    details = {"matched": names, "found": found, "unreadable": unreadable}
    window = f"in the last {spec.since_seconds} seconds"
    if spec.previous:
        window = "in its previous run" if spec.window is None else f"in its previous run ({window})"
    missing = [s for s in spec.expected_strings if s not in found]
    passed = bool(found) if spec.match_mode == "anyOf" else not missing
    if passed:
        shown = _quoted([s for s in spec.expected_strings if s in found])
        subject = spec.describe()
        return Result.ok(f"{subject[:1].upper()}{subject[1:]} logged {shown}.", **details)
    what = (
        f"any of {_quoted(missing)}" if spec.match_mode == "anyOf" and len(missing) > 1 else _quoted(missing)
    )
    if len(pods) == 1:
        reason = f"Pod {names[0]} has not logged {what} {window}."
    else:
        reason = f"None of the {len(pods)} {spec.describe()} has logged {what} {window}."
    if unreadable:
        why = next(iter(unreadable.values()))
        reason += f" ({why.rstrip('.')}.)"
    return Result.fail(reason, **details)
