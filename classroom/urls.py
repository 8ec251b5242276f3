from django.urls import path

from classroom.views import assessments, classrooms, dashboard, drilldown, exports, joining

urlpatterns = [
    path("", classrooms.classroom_list, name="classroom_list"),
    path("new/", classrooms.classroom_create, name="classroom_create"),
    path("join/", joining.join, name="classroom_join"),
    path("join/<str:code>/", joining.join_code, name="classroom_join_code"),
    path("<int:pk>/", classrooms.classroom_detail, name="classroom"),
    path("<int:pk>/invite/", classrooms.classroom_invite, name="classroom_invite"),
    path("<int:pk>/assignments/", classrooms.assignment_add, name="classroom_assignment_add"),
    path(
        "<int:pk>/assignments/<int:assignment_pk>/",
        classrooms.assignment_update,
        name="classroom_assignment_update",
    ),
    path("<int:pk>/leave/", classrooms.leave, name="classroom_leave"),
    path("<int:pk>/warm-pools/", classrooms.warm_pool_add, name="classroom_warm_pool_add"),
    path(
        "<int:pk>/warm-pools/<int:pool_pk>/cancel/",
        classrooms.warm_pool_remove,
        name="classroom_warm_pool_cancel",
    ),
    path(
        "<int:pk>/learners/<int:learner_pk>/remove/",
        classrooms.learner_remove,
        name="classroom_learner_remove",
    ),
    path("<int:pk>/dashboard/", dashboard.dashboard_page, name="classroom_dashboard"),
    path(
        "<int:pk>/learners/<int:learner_pk>/<slug:slug>/",
        drilldown.drilldown,
        name="classroom_drilldown",
    ),
    path(
        "<int:pk>/attempts/<int:attempt_pk>/<slug:action>/",
        drilldown.attempt_action,
        name="classroom_attempt_action",
    ),
    path("<int:pk>/notices/", drilldown.notice_send, name="classroom_notice"),
    path("<int:pk>/export/grid.csv", exports.export_grid, name="classroom_export_grid"),
    path("<int:pk>/export/check-runs.csv", exports.export_checks, name="classroom_export_checks"),
    path("<int:pk>/assessments/new/", assessments.assessment_create, name="assessment_create"),
    path("<int:pk>/assessments/<int:assessment_pk>/", assessments.assessment_page, name="assessment"),
    path(
        "<int:pk>/assessments/<int:assessment_pk>/start/<slug:slug>/",
        assessments.assessment_start,
        name="assessment_start",
    ),
    path(
        "<int:pk>/assessments/<int:assessment_pk>/learners/<int:learner_pk>/extend/",
        assessments.assessment_extend,
        name="assessment_extend",
    ),
    path("<int:pk>/assessments/<int:assessment_pk>/end/", assessments.assessment_end, name="assessment_end"),
    path(
        "<int:pk>/assessments/<int:assessment_pk>/results.csv",
        assessments.assessment_export,
        name="assessment_export",
    ),
]
