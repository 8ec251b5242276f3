from django.contrib import admin

from classroom.models import Assignment, Classroom, Membership


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
