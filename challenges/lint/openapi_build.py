"""Write the content linter's schema table from a running API server of the pinned version.

    python -m challenges.lint.openapi_build --kubeconfig <path> [-o <file>]

`make openapi-table` runs it against the local control plane (platform/controlplane/openapi-table)
and the result is committed beside this file; tests/live/test_openapi_table.py fails while the
committed table differs from what the pinned API server serves.

The API server's /openapi/v3 documents are megabytes; the table keeps, for the kinds in kinds.py
only, what server-side apply itself checks before it stores anything: which fields exist, and
whether each is a string, a number, a boolean, a list or a map, plus the values an enum allows.
Descriptions, defaults and patch strategies are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

from challenges.lint import kinds
from validators.kube import call, client_from_file, group_version_path

Obj = dict[str, Any]
HERE = Path(__file__).resolve().parent
PREFIX = "#/components/schemas/"
# Well-known types whose OpenAPI shape (oneOf) says what the API accepts in one word.
SCALARS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int-or-string",
}


def short(name: str) -> str:
    """`apps.v1.Deployment` for io.k8s.api.apps.v1.Deployment; `meta.v1.ObjectMeta` for apimachinery."""
    for prefix in ("io.k8s.api.", "io.k8s.apimachinery.pkg.apis.", "io.k8s.apimachinery.pkg."):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


class Compactor:
    def __init__(self, schemas: dict[str, Obj]) -> None:
        self.schemas = schemas
        self.types: dict[str, Any] = {}

    def ref(self, full: str) -> Any:
        if full in SCALARS:
            return SCALARS[full]
        name = short(full)
        if name not in self.types:
            self.types[name] = None  # being built: a recursive type refers to itself by name
            self.types[name] = self.node(self.schemas[full])
        return {"$ref": name}

    def node(self, schema: Obj) -> Any:
        if "$ref" in schema:
            return self.ref(str(schema["$ref"]).removeprefix(PREFIX))
        all_of = schema.get("allOf") or []
        if len(all_of) == 1 and "$ref" in all_of[0]:
            return self.node(all_of[0])
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return "any"
        if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
            return "int-or-string"
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            if "properties" in schema:
                return {"fields": {k: self.node(v) for k, v in sorted(schema["properties"].items())}}
            if isinstance(schema.get("additionalProperties"), dict):
                return {"map": self.node(schema["additionalProperties"])}
            return "object"
        if kind == "array":
            return {"list": self.node(schema.get("items") or {})}
        if kind == "string" and schema.get("enum"):
            return {"enum": sorted(str(v) for v in schema["enum"])}
        if kind in ("string", "integer", "number", "boolean"):
            return kind
        return "any"


def build(api: ApiClient) -> Obj:
    """The table for every kind in kinds.EVERY, as this API server serves them."""
    version = call(api, "GET", "/version", what="read the API server's version") or {}
    by_version: dict[str, set[str]] = defaultdict(set)
    for api_version, kind in kinds.EVERY:
        by_version[api_version].add(kind)
    table_kinds: Obj = {}
    types: dict[str, Any] = {}
    for api_version in sorted(by_version):
        path = group_version_path(api_version)
        discovery = call(api, "GET", path, what=f"discover {api_version}") or {}
        namespaced = {
            str(r["kind"]): bool(r.get("namespaced"))
            for r in discovery.get("resources") or []
            if "/" not in str(r.get("name", ""))
        }
        document = call(api, "GET", f"/openapi/v3{path}", what=f"read the OpenAPI schema of {api_version}")
        schemas: dict[str, Obj] = ((document or {}).get("components") or {}).get("schemas") or {}
        compactor = Compactor(schemas)
        compactor.types = types
        group, _, version_name = api_version.rpartition("/")
        for kind in sorted(by_version[api_version]):
            full = next(
                name
                for name, schema in schemas.items()
                if {"group": group, "version": version_name, "kind": kind}
                in (schema.get("x-kubernetes-group-version-kind") or [])
            )
            reference = compactor.ref(full)
            table_kinds[f"{api_version} {kind}"] = {
                "namespaced": namespaced[kind],
                "schema": reference["$ref"],
            }
    return {
        "kubernetes": str(version.get("gitVersion", "")),
        "kinds": dict(sorted(table_kinds.items())),
        "types": dict(sorted(types.items())),
    }


def dump(table: Obj) -> str:
    # One type per line: small enough to review, and a change shows as the lines it touches.
    lines = ["{", f'"kubernetes": {json.dumps(table["kubernetes"])},', '"kinds": {']
    kinds_items = list(table["kinds"].items())
    for i, (key, value) in enumerate(kinds_items):
        comma = "," if i < len(kinds_items) - 1 else ""
        lines.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    lines += ["},", '"types": {']
    type_items = list(table["types"].items())
    for i, (key, value) in enumerate(type_items):
        comma = "," if i < len(type_items) - 1 else ""
        lines.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True, separators=(',', ':'))}{comma}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def table_path(version: str) -> Path:
    return HERE / f"kubernetes-{version}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("-o", "--output", type=Path, default=None, help="default: beside this module")
    args = parser.parse_args(argv)
    with client_from_file(args.kubeconfig) as api:
        table = build(api)
    output = args.output or table_path(table["kubernetes"])
    output.write_text(dump(table))
    print(f"[openapi-table] wrote {output}: {len(table['kinds'])} kinds, {len(table['types'])} types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
