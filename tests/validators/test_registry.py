from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

import validators
from validators import registry
from validators.errors import SpecInvalid
from validators.objectives.status import StatusSpec

POD_READY = {
    "target": {"kind": "Pod", "labelSelector": {"app": "web"}},
    "checks": [{"type": "Ready", "status": "True"}],
}


def test_it_registers_every_objective_type() -> None:
    assert validators.types() == [
        "condition",
        "cronjob",
        "event",
        "ingress",
        "job",
        "log",
        "placement",
        "pods",
        "rbac",
        "reachability",
        "secret",
        "service",
        "spec",
        "status",
        "tls",
    ]


def test_it_returns_the_parsed_spec_model() -> None:
    spec = validators.validate_spec(
        "status",
        {
            "target": {"kind": "Deployment", "name": "web"},
            "checks": [{"field": "readyReplicas", "operator": ">=", "value": 2}],
        },
    )
    assert isinstance(spec, StatusSpec)
    assert spec.target.name == "web"
    assert spec.checks[0].value == 2


def test_it_rejects_an_unknown_type() -> None:
    with pytest.raises(
        SpecInvalid, match="unknown objective type 'connectivity'; known types: condition, cronjob, event"
    ):
        validators.validate_spec("connectivity", {})


def test_it_rejects_a_spec_that_is_not_a_mapping() -> None:
    with pytest.raises(SpecInvalid, match="must be a mapping"):
        validators.validate_spec("condition", ["Ready"])  # type: ignore[arg-type]


def test_it_names_the_offending_field_with_its_yaml_spelling() -> None:
    with pytest.raises(SpecInvalid) as caught:
        validators.validate_spec(
            "log",
            {
                "target": {"kind": "Pod", "labelSelector": {"app": "web"}},
                "expectedStrings": ["ok"],
                "sinceSeconds": "soon",
            },
        )
    assert "sinceSeconds: Input should be a valid integer" in str(caught.value)


def test_it_names_nested_list_positions() -> None:
    with pytest.raises(SpecInvalid) as caught:
        validators.validate_spec(
            "status",
            {
                "target": {"kind": "Pod", "name": "web"},
                "checks": [{"field": "phase", "value": "Running"}, {"field": "a..b", "value": 1}],
            },
        )
    assert "checks[1].field: empty field name at position 2 in 'a..b'" in str(caught.value)


def test_it_rejects_unknown_fields() -> None:
    with pytest.raises(SpecInvalid, match=r"checks\[0\]\.stauts: Extra inputs are not permitted"):
        validators.validate_spec("condition", {**POD_READY, "checks": [{"type": "Ready", "stauts": "True"}]})


def test_it_rejects_snake_case_keys() -> None:
    with pytest.raises(SpecInvalid, match="label_selector: Extra inputs are not permitted"):
        validators.validate_spec(
            "condition", {**POD_READY, "target": {"kind": "Pod", "label_selector": {"a": "b"}}}
        )


def test_it_rejects_a_target_with_both_name_and_selector() -> None:
    with pytest.raises(SpecInvalid, match="target: give exactly one of name and labelSelector"):
        validators.validate_spec(
            "condition", {**POD_READY, "target": {"kind": "Pod", "name": "a", "labelSelector": {"a": "b"}}}
        )


def test_it_rejects_a_target_with_neither_name_nor_selector() -> None:
    with pytest.raises(SpecInvalid, match="give exactly one of name and labelSelector"):
        validators.validate_spec("condition", {**POD_READY, "target": {"kind": "Pod"}})


def test_it_rejects_a_kind_outside_the_allow_list() -> None:
    with pytest.raises(
        SpecInvalid, match=r"target\.kind: unknown kind 'Node'; the checks can read ConfigMap"
    ):
        validators.validate_spec("condition", {**POD_READY, "target": {"kind": "Node", "name": "n1"}})


def test_it_is_a_value_error_so_pydantic_validators_can_raise_it() -> None:
    class Outer(BaseModel):
        spec: dict[str, object]

        @classmethod
        def check(cls, value: dict[str, object]) -> dict[str, object]:
            validators.validate_spec("condition", value)
            return value

    from pydantic import field_validator

    class Checked(Outer):
        @field_validator("spec")
        @classmethod
        def _valid(cls, value: dict[str, object]) -> dict[str, object]:
            return cls.check(value)

    with pytest.raises(ValidationError, match="invalid 'condition' spec"):
        Checked(spec={"target": {"kind": "Pod", "name": "x"}, "checks": []})


def test_it_refuses_to_register_a_type_twice() -> None:
    def other(spec: StatusSpec, view: object) -> validators.Result:
        return validators.Result.ok("never")

    with pytest.raises(RuntimeError, match="registered twice"):
        registry.register("status", StatusSpec)(other)


def test_it_evaluates_an_already_parsed_spec() -> None:
    from tests.validators.fakes import FakeView, pod

    spec = validators.validate_spec("condition", POD_READY)
    result = validators.evaluate("condition", spec, FakeView([pod("web-1", {"app": "web"})]))
    assert result.passed
