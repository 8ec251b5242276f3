from django.urls import path

from classroom import views

urlpatterns = [
    path("", views.classroom_list, name="classroom_list"),
    path("new/", views.classroom_create, name="classroom_create"),
    path("join/", views.join, name="classroom_join"),
    path("join/<str:code>/", views.join_code, name="classroom_join_code"),
    path("<int:pk>/", views.classroom_detail, name="classroom"),
    path("<int:pk>/invite/", views.classroom_invite, name="classroom_invite"),
    path("<int:pk>/assignments/", views.assignment_add, name="classroom_assignment_add"),
    path(
        "<int:pk>/assignments/<int:assignment_pk>/",
        views.assignment_update,
        name="classroom_assignment_update",
    ),
    path("<int:pk>/leave/", views.leave, name="classroom_leave"),
    path(
        "<int:pk>/learners/<int:learner_pk>/remove/",
        views.learner_remove,
        name="classroom_learner_remove",
    ),
    path("<int:pk>/dashboard/", views.dashboard, name="classroom_dashboard"),
    path(
        "<int:pk>/learners/<int:learner_pk>/<slug:slug>/",
        views.drilldown,
        name="classroom_drilldown",
    ),
    path(
        "<int:pk>/attempts/<int:attempt_pk>/<slug:action>/",
        views.attempt_action,
        name="classroom_attempt_action",
    ),
    path("<int:pk>/export/grid.csv", views.export_grid, name="classroom_export_grid"),
    path("<int:pk>/export/check-runs.csv", views.export_checks, name="classroom_export_checks"),
]
