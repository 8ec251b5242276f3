"""The delivery settings fit together: what the sweep, the leases and the broker promise."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from challenges import tasks

ROOT = Path(__file__).resolve().parent.parent


def test_compose_keeps_the_queue_across_a_redis_restart() -> None:
    redis = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]
    assert "--appendonly yes" in redis["command"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_a_dead_workers_work_is_sent_again_within_a_minute() -> None:
    sweep = settings.CELERY_BEAT_SCHEDULE["sweep"]
    assert sweep["task"] == "challenges.tasks.sweep"
    assert settings.BREAKFIX_TASK_LEASE_SECONDS + sweep["schedule"] <= 60


def test_the_broker_never_hands_out_a_message_still_being_worked_on() -> None:
    longest = max(task.time_limit or 0 for task in (tasks.provision, tasks.check, tasks.destroy))
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
