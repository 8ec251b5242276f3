from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from challenges.models import Challenge


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _published() -> QuerySet[Challenge]:
    return Challenge.objects.filter(published=True).order_by("title")


class ChallengeChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Challenge) -> str:
        return f"{obj.title} · {obj.get_difficulty_display()} · ~{obj.estimated_minutes} min"


class ClassroomForm(forms.Form):
    name = forms.CharField(
        max_length=120, widget=forms.TextInput(attrs={"placeholder": "Kubernetes 101 — Tuesday"})
    )
    challenges = ChallengeChoices(
        queryset=_published(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="You can add or remove challenges later.",
    )
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=DateTimeLocalInput(),
        help_text="Optional, for every challenge above; each one's date can be changed later.",
    )
    invite_expires_at = forms.DateTimeField(
        required=False,
        label="Invite code expires",
        widget=DateTimeLocalInput(),
        help_text="Optional. After this moment the code and the join link admit nobody.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["challenges"].queryset = _published()  # type: ignore[attr-defined]

    def clean_invite_expires_at(self) -> Any:
        value = self.cleaned_data.get("invite_expires_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("Pick a moment in the future, or leave it empty.")
        return value


class AssignmentForm(forms.Form):
    challenge = forms.ModelChoiceField(queryset=_published(), empty_label="Choose a challenge…")
    due_at = forms.DateTimeField(required=False, label="Due", widget=DateTimeLocalInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["challenge"].queryset = _published()  # type: ignore[attr-defined]


class DueDateForm(forms.Form):
    due_at = forms.DateTimeField(required=False, label="Due", widget=DateTimeLocalInput())


class InviteForm(forms.Form):
    joining_open = forms.BooleanField(required=False, label="Accept new learners")
    invite_expires_at = forms.DateTimeField(required=False, label="Code expires", widget=DateTimeLocalInput())


class JoinForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        label="Invite code",
        widget=forms.TextInput(
            attrs={"placeholder": "XXXX-XXXX-XXXX", "autocomplete": "off", "autocapitalize": "characters"}
        ),
    )


class AssessmentForm(forms.Form):
    title = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"placeholder": "Week 3 practical"}))
    challenges = ChallengeChoices(queryset=Challenge.objects.none(), widget=forms.CheckboxSelectMultiple)
    starts_at = forms.DateTimeField(label="Starts", widget=DateTimeLocalInput())
    minutes = forms.IntegerField(min_value=1, max_value=480, initial=60, label="Open for (minutes)")
    duration_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=480,
        label="Each learner's time (minutes)",
        help_text="Blank: everyone works until the end. Set: each learner's clock starts at their"
        " first Open, and stops at the end at the latest.",
    )
    max_attempts = forms.IntegerField(
        min_value=1,
        max_value=10,
        initial=2,
        label="Environments per challenge",
        help_text="How often a learner may start a challenge afresh.",
    )
    hints_allowed = forms.BooleanField(required=False, label="Hints allowed")
    hint_penalty_percent = forms.IntegerField(
        min_value=0, max_value=100, initial=10, label="Each hint costs (% of the challenge's score)"
    )
    show_solution = forms.BooleanField(required=False, initial=True, label="Show the solutions afterwards")

    def __init__(self, *args: Any, classroom: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["challenges"].queryset = Challenge.objects.filter(  # type: ignore[attr-defined]
            assignments__classroom=classroom
        ).order_by("title")


class ExtensionForm(forms.Form):
    minutes = forms.IntegerField(min_value=1, max_value=240, initial=10)
    reason = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"placeholder": "Why"}))


class WarmPoolForm(forms.Form):
    challenge = forms.ModelChoiceField(queryset=Challenge.objects.none(), empty_label=None)
    ready = forms.IntegerField(min_value=1, max_value=200, initial=20, label="Environments ready")
    starts_at = forms.DateTimeField(label="From", widget=DateTimeLocalInput())
    minutes = forms.IntegerField(min_value=15, max_value=480, initial=90, label="For (minutes)")

    def __init__(self, *args: Any, classroom: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["challenge"].queryset = Challenge.objects.filter(  # type: ignore[attr-defined]
            assignments__classroom=classroom
        ).order_by("title")
