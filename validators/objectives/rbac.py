"""`rbac`: what a ServiceAccount may and may not do, asked of the API server with SubjectAccessReviews."""

from __future__ import annotations

from pydantic import Field

from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.view import AccessQuestion, View


class RbacCheck(Spec):
    verb: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    group: str = ""
    subresource: str = ""
    name: str = ""
    # None: the attempt's namespace; "": cluster scope; anything else: that namespace.
    namespace: str | None = None
    allowed: bool

    def describe(self) -> str:
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        if self.group:
            resource = f"{resource}.{self.group}"
        if self.name:
            resource = f"{resource} {self.name}"
        if self.namespace == "":
            return f"{self.verb} {resource} cluster-wide"
        if self.namespace:
            return f"{self.verb} {resource} in namespace {self.namespace}"
        return f"{self.verb} {resource}"


class RbacSpec(Spec):
    service_account: str = Field(min_length=1)
    checks: list[RbacCheck] = Field(min_length=1)


@register("rbac", RbacSpec)
def check_rbac(spec: RbacSpec, view: View) -> Result:
    account = spec.service_account
    if view.get("ServiceAccount", account) is None:
        return Result.fail(f"There is no ServiceAccount named {account} yet.")
    # The identity the API server gives a pod running as this ServiceAccount.
    user = f"system:serviceaccount:{view.namespace}:{account}"
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{view.namespace}", "system:authenticated"]
    answers = []
    for check in spec.checks:
        question = AccessQuestion(
            user=user,
            groups=groups,
            verb=check.verb,
            resource=check.resource,
            group=check.group,
            subresource=check.subresource,
            name=check.name,
            namespace=check.namespace,
        )
        status = view.subject_access_review(question)
        allowed = bool(status.get("allowed")) and not status.get("denied")
        answers.append({"check": check.describe(), "allowed": allowed, "expected": check.allowed})
        if allowed != check.allowed:
            if check.allowed:
                reason = f"ServiceAccount {account} cannot {check.describe()}, but it needs to."
            else:
                granted = f" ({status['reason']})" if status.get("reason") else ""
                reason = f"ServiceAccount {account} can {check.describe()}{granted}, but it must not."
            return Result.fail(reason, answers=answers, user=user)
    may = [c.describe() for c in spec.checks if c.allowed]
    may_not = [c.describe() for c in spec.checks if not c.allowed]
    parts = []
    if may:
        parts.append(f"can {', '.join(may)}")
    if may_not:
        parts.append(f"cannot {', '.join(may_not)}")
    return Result.ok(f"ServiceAccount {account} {' and '.join(parts)}.", answers=answers, user=user)
