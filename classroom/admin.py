from django.contrib import admin
from django.http import HttpRequest

from classroom.models import Assessment, Assignment, Classroom, Membership, Result


class AssignmentInline(admin.TabularInline[Assignment, Classroom]):
    model = Assignment
    extra = 0
    autocomplete_fields = ("challenge",)


class MembershipInline(admin.TabularInline[Membership, Classroom]):
    model = Membership
    extra = 0
    raw_id_fields = ("learner",)
    readonly_fields = ("joined_at",)


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin[Classroom]):
    list_display = ("name", "instructor", "invite_code", "joining_open", "invite_expires_at", "created_at")
    list_filter = ("joining_open",)
    search_fields = ("name", "instructor__username", "invite_code")
    raw_id_fields = ("instructor",)
    inlines = (AssignmentInline, MembershipInline)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin[Assessment]):
    """Read for support: scheduling, extending and ending go through the instructor's pages, which
    keep the rules (a reason for each extension, the last check at the end)."""

    list_display = ("title", "classroom", "starts_at", "ends_at", "ended_at")
    search_fields = ("title", "classroom__name")
    readonly_fields = ("ended_at", "created_by", "created_at")
    raw_id_fields = ("classroom",)


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin[Result]):
    """Results are what the last checks found: nobody edits them by hand."""

    list_display = ("sitting", "challenge", "score", "hints_used", "check_run", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Result | None = None) -> bool:
        return False
