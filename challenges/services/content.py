"""Loading challenge content into the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from challenges.backends import gives_whole_cluster
from challenges.loader import LoadedChallenge, load_all
from challenges.models import Challenge, ChallengeVersion


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.unpublished)


def _fields(item: LoadedChallenge) -> dict[str, object]:
    spec = item.spec
    return {
        "title": spec.title,
        "theme": spec.theme,
        "difficulty": spec.difficulty,
        "type": spec.type,
        "estimated_minutes": spec.estimated_minutes,
        "description": spec.description,
        "initial_situation": spec.initial_situation,
        "objectives": [o.model_dump(by_alias=True) for o in spec.objectives],
        "hints": spec.hints,
        "content_hash": item.content_hash,
        "published": True,
    }


def challenges_sync(*, content_dir: Path, whole_cluster: bool | None = None) -> SyncReport:
    """Load every challenge folder; all of it lands in one transaction, or none of it does.

    Loading (which raises ContentError) happens before the first write, so bad content never
    changes the database. Content is judged for this installation's backend (BREAKFIX_BACKEND)
    unless `whole_cluster` says otherwise: on a shared cluster, a challenge that needs a cluster
    of its own is refused like any other problem.
    """
    if whole_cluster is None:
        whole_cluster = gives_whole_cluster()
    loaded = load_all(content_dir, whole_cluster=whole_cluster)
    report = SyncReport()
    with transaction.atomic():
        for item in loaded:
            challenge = Challenge.objects.filter(slug=item.slug).first()
            if challenge and challenge.content_hash == item.content_hash and challenge.published:
                report.unchanged.append(item.slug)
                continue
            if challenge is None:
                challenge = Challenge.objects.create(slug=item.slug, **_fields(item))
                report.created.append(item.slug)
            else:
                for name, value in _fields(item).items():
                    setattr(challenge, name, value)
                challenge.save()
                report.updated.append(item.slug)
            ChallengeVersion.objects.get_or_create(
                challenge=challenge, content_hash=item.content_hash, defaults={"definition": item.definition}
            )
        slugs = [item.slug for item in loaded]
        for challenge in Challenge.objects.filter(published=True).exclude(slug__in=slugs):
            # Attempts keep their version; the challenge only leaves the catalog.
            challenge.published = False
            challenge.save(update_fields=["published", "updated_at"])
            report.unpublished.append(challenge.slug)
    return report
