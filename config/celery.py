"""The Celery application: broker and settings come from Django settings (CELERY_*)."""

import logging.config
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("breakfix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(loglevel: int | str | None = None, **kwargs: object) -> None:
    """Workers and beat log through settings.LOGGING, as web does (its format, its attempt id),
    instead of Celery replacing the root logger's handlers with its own; `--loglevel` still
    sets the level."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


# kind: one Docker host per installation (challenges/backends/kindhost.py). The claim comes before
# the worker's pool and consumer start, so a refused worker never takes a task.
@signals.worker_init.connect
def claim_the_kind_host(**kwargs: object) -> None:
    from challenges.backends import kindhost

    kindhost.worker_starting()


@signals.worker_ready.connect
def keep_the_kind_host(**kwargs: object) -> None:
    from challenges.backends import kindhost

    kindhost.heartbeat_start()


@signals.worker_shutdown.connect
def leave_the_kind_host(**kwargs: object) -> None:
    from challenges.backends import kindhost

    kindhost.heartbeat_stop()
