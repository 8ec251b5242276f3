"""`log`: expected strings in the logs of the matched pods; a string found in any pod counts."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from validators.errors import ObjectInvalid
from validators.namespace_view import NamespaceView
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import Target, name_of, resolve

# Enough for any launch challenge; the API server would otherwise stream whole logs.
TAIL_LINES = 5000


class LogSpec(Spec):
    target: Target
    container: str | None = None
    expected_strings: list[str] = Field(min_length=1)
    match_mode: Literal["allOf", "anyOf"] = "allOf"
    since_seconds: int = Field(default=300, ge=1, le=86400)
    previous: bool = False

    @model_validator(mode="after")
    def _pods_only(self) -> Self:
        if self.target.kind != "Pod":
            raise ValueError(f"log objectives read Pod logs; target.kind is {self.target.kind}")
        if any(not text for text in self.expected_strings):
            raise ValueError("expectedStrings must not contain an empty string")
        return self


def _quoted(strings: list[str]) -> str:
    return ", ".join(f'"{s}"' for s in strings)


@register("log", LogSpec)
def check_log(spec: LogSpec, view: NamespaceView) -> Result:
    pods = resolve(spec.target, view)
    if not pods:
        return Result.fail(spec.target.nothing_matched(), matched=[])
    names = [name_of(pod) for pod in pods]
    found: dict[str, str] = {}  # expected string -> the pod that logged it
    unreadable: dict[str, str] = {}  # pod -> why its log could not be read
    for pod in pods:
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        container = spec.container or (containers[0] if containers else None)
        if spec.container and spec.container not in containers:
            unreadable[name_of(pod)] = f"Pod {name_of(pod)} has no container named {spec.container}"
            continue
        try:
            text = view.pod_logs(
                name_of(pod),
                container=container,
                since_seconds=spec.since_seconds,
                previous=spec.previous,
                tail_lines=TAIL_LINES,
            )
        except ObjectInvalid as exc:
            unreadable[name_of(pod)] = str(exc)
            continue
        for expected in spec.expected_strings:
            if expected in text and expected not in found:
                found[expected] = name_of(pod)
        if spec.match_mode == "anyOf" and found:
            break
    details = {"matched": names, "found": found, "unreadable": unreadable}
    window = "in its previous run" if spec.previous else f"in the last {spec.since_seconds} seconds"
    missing = [s for s in spec.expected_strings if s not in found]
    passed = bool(found) if spec.match_mode == "anyOf" else not missing
    if passed:
        shown = _quoted([s for s in spec.expected_strings if s in found])
        return Result.ok(f"{spec.target.describe()} logged {shown}.", **details)
    what = (
        f"any of {_quoted(missing)}" if spec.match_mode == "anyOf" and len(missing) > 1 else _quoted(missing)
    )
    if len(pods) == 1:
        reason = f"Pod {names[0]} has not logged {what} {window}."
    else:
        reason = f"None of the {len(pods)} {spec.target.describe()} has logged {what} {window}."
    if unreadable:
        why = next(iter(unreadable.values()))
        reason += f" ({why.rstrip('.')}.)"
    return Result.fail(reason, **details)
