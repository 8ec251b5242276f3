from django.apps import AppConfig
from django.core import signals


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Challenges"

    def ready(self) -> None:
        from challenges import logcontext

        # A request to an attempt's pages logs with its id (challenges/logcontext.py).
        signals.request_started.connect(logcontext.request_started, dispatch_uid="attempt-log-started")
        signals.request_finished.connect(logcontext.request_finished, dispatch_uid="attempt-log-finished")
