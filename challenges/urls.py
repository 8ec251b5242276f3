from django.urls import path

from challenges.views import accounts, attempts, catalog, console, workspace

urlpatterns = [
    path("", catalog.catalog, name="catalog"),
    path("challenges/<slug:slug>/", catalog.challenge, name="challenge"),
    path("challenges/<slug:slug>/start/", attempts.attempt_start, name="attempt_start"),
    path("attempts/<int:pk>/", attempts.attempt, name="attempt"),
    path("attempts/<int:pk>/status/", attempts.attempt_status, name="attempt_status"),
    path("attempts/<int:pk>/checks/", attempts.attempt_checks, name="attempt_checks"),
    path("attempts/<int:pk>/notices/", attempts.attempt_notices, name="attempt_notices"),
    path("attempts/<int:pk>/check/", attempts.attempt_check, name="attempt_check"),
    path("attempts/<int:pk>/extend/", attempts.attempt_extend, name="attempt_extend"),
    path("attempts/<int:pk>/end/", attempts.attempt_end, name="attempt_end"),
    path("attempts/<int:pk>/reset/", attempts.attempt_reset, name="attempt_reset"),
    # The learner's tools in the workspace (views/workspace.py)
    path("attempts/<int:pk>/console/", workspace.console, name="attempt_console"),
    # The page's terminal (views/console.py): a streamed command, Ctrl-C, Tab
    path("attempts/<int:pk>/console/stream/", console.console_stream, name="attempt_console_stream"),
    path("attempts/<int:pk>/console/stop/", console.console_stop_view, name="attempt_console_stop"),
    path(
        "attempts/<int:pk>/console/complete/", console.console_complete_view, name="attempt_console_complete"
    ),
    path("attempts/<int:pk>/editor/objects/", workspace.editor_objects, name="attempt_editor_objects"),
    path("attempts/<int:pk>/editor/load/", workspace.editor_load, name="attempt_editor_load"),
    path("attempts/<int:pk>/editor/diff/", workspace.editor_diff, name="attempt_editor_diff"),
    path("attempts/<int:pk>/editor/apply/", workspace.editor_apply, name="attempt_editor_apply"),
    path("attempts/<int:pk>/hints/", workspace.hint_unlock, name="attempt_hint"),
    path("attempts/<int:pk>/solution/", workspace.solution, name="attempt_solution"),
    path("attempts/<int:pk>/kubeconfig/", workspace.kubeconfig, name="attempt_kubeconfig"),
    path("profile/", workspace.profile, name="profile"),
    path("accounts/signup/", accounts.signup, name="signup"),
]
