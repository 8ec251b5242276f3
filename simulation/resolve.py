"""What a container would get from the kubelet: its volumes, its environment and its files.

Follows the kubelet's rules (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables and the
configMap/secret volume plugins): envFrom first, env overrides it, `$(VAR)` references expand,
a missing object or key that is not optional stops the container with the kubelet's message.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulation import devices

Obj = dict[str, Any]

_REFERENCE = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


class ConfigError(Exception):
    """The container cannot be created: CreateContainerConfigError with this message."""


class MountError(Exception):
    """A volume cannot be mounted: the pod stays ContainerCreating, with a FailedMount event."""

    def __init__(self, volume: str, message: str) -> None:
        self.volume = volume
        super().__init__(f'MountVolume.SetUp failed for volume "{volume}" : {message}')


@dataclass(frozen=True)
class Objects:
    """The ConfigMaps and Secrets of one namespace, by name."""

    namespace: str
    configmaps: Mapping[str, Obj] = field(default_factory=dict)
    secrets: Mapping[str, Obj] = field(default_factory=dict)

    def configmap_data(self, name: str) -> dict[str, str] | None:
        found = self.configmaps.get(name)
        if found is None:
            return None
        data = {str(k): str(v) for k, v in (found.get("data") or {}).items()}
        for key, value in (found.get("binaryData") or {}).items():
            data[str(key)] = _decode(value)
        return data

    def secret_data(self, name: str) -> dict[str, str] | None:
        found = self.secrets.get(name)
        if found is None:
            return None
        data = {str(k): _decode(v) for k, v in (found.get("data") or {}).items()}
        data.update({str(k): str(v) for k, v in (found.get("stringData") or {}).items()})
        return data


def _decode(value: Any) -> str:
    try:
        return base64.b64decode(str(value)).decode("utf-8", errors="replace")
    except ValueError:
        return ""


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: unknown references stay as written, `$$` escapes a `$`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _REFERENCE.sub(replace, value)


def _optional(ref: Mapping[str, Any]) -> bool:
    return bool(ref.get("optional"))


def _field_value(path: str, pod: Obj) -> str:
    metadata = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    simple = {
        "metadata.name": metadata.get("name"),
        "metadata.namespace": metadata.get("namespace"),
        "metadata.uid": metadata.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
    }
    if path in simple:
        return str(simple[path] or "")
    match = re.match(r"^metadata\.(labels|annotations)\['(.+)'\]$", path)
    if match:
        return str((metadata.get(match.group(1)) or {}).get(match.group(2), ""))
    return ""


def _resource_value(ref: Mapping[str, Any], container: Obj) -> str:
    kind, _, resource = str(ref.get("resource", "")).partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(resource)
    return str(value) if value is not None else "0"


def environment(pod: Obj, container: Obj, objects: Objects) -> dict[str, str]:
    """The container's environment; raises ConfigError as the kubelet would refuse to create it."""
    namespace = objects.namespace
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        if "configMapRef" in source:
            ref = source["configMapRef"] or {}
            data = objects.configmap_data(str(ref.get("name", "")))
            if data is None:
                if _optional(ref):
                    continue
                raise ConfigError(f'configmap "{ref.get("name", "")}" not found')
        elif "secretRef" in source:
            ref = source["secretRef"] or {}
            data = objects.secret_data(str(ref.get("name", "")))
            if data is None:
                if _optional(ref):
                    continue
                raise ConfigError(f'secret "{ref.get("name", "")}" not found')
        else:
            continue
        env.update({prefix + key: value for key, value in data.items()})
    for variable in container.get("env") or []:
        name = str(variable.get("name", ""))
        value = variable.get("value")
        source = variable.get("valueFrom")
        if value:
            env[name] = expand(str(value), env)
            continue
        if not source:
            env[name] = ""
            continue
        if "fieldRef" in source:
            env[name] = _field_value(str((source["fieldRef"] or {}).get("fieldPath", "")), pod)
        elif "resourceFieldRef" in source:
            env[name] = _resource_value(source["resourceFieldRef"] or {}, container)
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"] or {}
            cm, key = str(ref.get("name", "")), str(ref.get("key", ""))
            data = objects.configmap_data(cm)
            if data is None:
                if _optional(ref):
                    continue
                raise ConfigError(f'configmap "{cm}" not found')
            if key not in data:
                if _optional(ref):
                    continue
                raise ConfigError(f"couldn't find key {key} in ConfigMap {namespace}/{cm}")
            env[name] = data[key]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"] or {}
            secret, key = str(ref.get("name", "")), str(ref.get("key", ""))
            data = objects.secret_data(secret)
            if data is None:
                if _optional(ref):
                    continue
                raise ConfigError(f'secret "{secret}" not found')
            if key not in data:
                if _optional(ref):
                    continue
                raise ConfigError(f"couldn't find key {key} in Secret {namespace}/{secret}")
            env[name] = data[key]
    # Device plugins add theirs last, through the runtime: the pod spec cannot override them.
    devices.apply(pod, container, env)
    return env


def _volume_files(volume: Obj, objects: Objects) -> dict[str, str] | None:
    """The files a volume holds (relative path → content); None for volumes without such files.

    Raises MountError for a configMap or secret volume whose object or item key is missing.
    """
    name = str(volume.get("name", ""))
    sources: list[tuple[str, Obj]] = []
    if "configMap" in volume:
        sources.append(("configMap", volume["configMap"] or {}))
    elif "secret" in volume:
        sources.append(("secret", volume["secret"] or {}))
    elif "projected" in volume:
        for source in (volume["projected"] or {}).get("sources") or []:
            for kind in ("configMap", "secret"):
                if kind in source:
                    sources.append((kind, source[kind] or {}))
    else:
        return None
    files: dict[str, str] = {}
    for kind, ref in sources:
        object_name = str(ref.get("name" if kind == "configMap" else "secretName", "") or ref.get("name", ""))
        data = (
            objects.configmap_data(object_name) if kind == "configMap" else objects.secret_data(object_name)
        )
        what = "configmap" if kind == "configMap" else "secret"
        if data is None:
            if _optional(ref):
                continue
            raise MountError(name, f'{what} "{object_name}" not found')
        items = ref.get("items")
        if not items:
            files.update(data)
            continue
        for item in items:
            key = str(item.get("key", ""))
            if key not in data:
                if _optional(ref):
                    continue
                raise MountError(name, f"{what} references non-existent config key: {key}")
            files[str(item.get("path") or key)] = data[key]
    return files


def volumes(pod: Obj, objects: Objects, *, strict: bool = True) -> dict[str, dict[str, str] | None]:
    """Every volume of the pod with its files.

    Strict (before the pod's sandbox exists) raises MountError for the first volume that cannot
    be mounted; otherwise such a volume just has no files, as a running pod keeps its mounts.
    """
    mounted: dict[str, dict[str, str] | None] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = str(volume.get("name", ""))
        try:
            mounted[name] = _volume_files(volume, objects)
        except MountError:
            if strict:
                raise
            mounted[name] = {}
    return mounted


def files(container: Obj, mounted: Mapping[str, dict[str, str] | None]) -> dict[str, str]:
    """The files the container sees under its volume mounts (absolute path → content)."""
    seen: dict[str, str] = {}
    for mount in container.get("volumeMounts") or []:
        content = mounted.get(str(mount.get("name", "")))
        if content is None:
            continue
        base = str(mount.get("mountPath", "")).rstrip("/")
        sub_path = str(mount.get("subPath") or "")
        if sub_path:
            if sub_path in content:
                seen[base] = content[sub_path]
            continue
        for path, text in content.items():
            seen[f"{base}/{path}"] = text
    return seen
