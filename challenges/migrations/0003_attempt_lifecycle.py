from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

ACTIVE = ("requested", "provisioning", "ready")


def rename_kinds(apps, schema_editor):
    """Event kinds were free text spelled two ways; AttemptEvent.Kind spells them with underscores."""
    AttemptEvent = apps.get_model("challenges", "AttemptEvent")
    AttemptEvent.objects.filter(kind="editor-apply").update(kind="editor_apply")


def unrename_kinds(apps, schema_editor):
    AttemptEvent = apps.get_model("challenges", "AttemptEvent")
    AttemptEvent.objects.filter(kind="editor_apply").update(kind="editor-apply")


def backfill_outcomes(apps, schema_editor):
    """Attempts that ended before `outcome` existed: read once from their status, timestamps and
    events, as the dashboard used to on every poll."""
    Attempt = apps.get_model("challenges", "Attempt")
    AttemptEvent = apps.get_model("challenges", "AttemptEvent")
    unset = Attempt.objects.filter(outcome="")
    unset.filter(solved_at__isnull=False).update(outcome="solved")
    unset.filter(Q(status="failed") | ~Q(error="")).exclude(status__in=ACTIVE).update(outcome="failed")
    unset.filter(status="expired").update(outcome="expired")
    unset.filter(status="destroyed", ended_at__gte=F("expires_at")).update(outcome="expired")
    by_instructor = AttemptEvent.objects.filter(kind="ended", actor__isnull=False).exclude(
        actor_id=F("attempt__learner_id")
    )
    ended = unset.filter(status__in=("ended", "destroyed"))
    ended.filter(pk__in=by_instructor.values("attempt_id")).update(outcome="ended_by_instructor")
    ended.update(outcome="ended_by_learner")


def end_duplicates(apps, schema_editor):
    """Before one active attempt per learner and challenge is a constraint: end all but the newest
    of any duplicates (their teardown is sent by the sweep, as for any finished attempt)."""
    Attempt = apps.get_model("challenges", "Attempt")
    AttemptEvent = apps.get_model("challenges", "AttemptEvent")
    seen = set()
    for attempt in Attempt.objects.filter(status__in=ACTIVE).order_by("-created_at", "-pk"):
        key = (attempt.learner_id, attempt.challenge_id)
        if key not in seen:
            seen.add(key)
            continue
        Attempt.objects.filter(pk=attempt.pk).update(
            status="ended", outcome="ended_by_learner", ended_at=timezone.now(), task_deadline=None
        )
        AttemptEvent.objects.create(attempt_id=attempt.pk, kind="ended", message="A newer attempt replaces it.")


def resume_pending_work(apps, schema_editor):
    """Work that was under way: provisioning starts over at the next sweep (its worker, restarted
    for this release, cannot renew its lease); requests, teardowns and checks carry no deadline,
    which the sweep reads as "no task carries it"."""
    Attempt = apps.get_model("challenges", "Attempt")
    Attempt.objects.filter(status="provisioning").update(task_deadline=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('challenges', '0002_checkrun_failed_objectives'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='attempt',
            name='error_detail',
            field=models.TextField(blank=True, help_text='What the cluster or the backend said, for staff: never shown to the learner.'),
        ),
        migrations.AddField(
            model_name='attempt',
            name='outcome',
            field=models.CharField(blank=True, choices=[('solved', 'Solved'), ('ended_by_learner', 'Ended by the learner'), ('ended_by_instructor', 'Ended by an instructor'), ('expired', 'Time ran out'), ('failed', 'Failed')], max_length=24),
        ),
        migrations.AddField(
            model_name='attempt',
            name='provision_retries',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='attempt',
            name='task_deadline',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='attempt',
            name='task_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='checkrun',
            name='error_detail',
            field=models.TextField(blank=True, help_text='What the cluster said, for staff.'),
        ),
        migrations.AddField(
            model_name='checkrun',
            name='resent',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='checkrun',
            name='task_deadline',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='attempt',
            name='error',
            field=models.TextField(blank=True, help_text='Why it failed, written for the learner.'),
        ),
        migrations.AlterField(
            model_name='attemptevent',
            name='kind',
            field=models.CharField(choices=[('requested', 'Environment requested'), ('provisioning', 'Provisioning started'), ('requeued', 'Provisioning started again'), ('ready', 'Environment ready'), ('failed', 'Environment failed'), ('check_requested', 'Check requested'), ('checked', 'Checked'), ('check_failed', 'Check could not run'), ('solved', 'Solved'), ('hint', 'Hint unlocked'), ('editor_apply', 'Applied from the editor'), ('extended', 'Time extended'), ('ended', 'Environment ended'), ('expired', 'Time ran out'), ('reset', 'Fresh environment (reset)'), ('destroyed', 'Environment removed')], max_length=40),
        ),
        migrations.AlterField(
            model_name='checkrun',
            name='error',
            field=models.TextField(blank=True, help_text='Why it could not run, written for the learner.'),
        ),
        migrations.RunPython(rename_kinds, unrename_kinds, elidable=True),
        migrations.RunPython(backfill_outcomes, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(end_duplicates, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(resume_pending_work, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='attempt',
            index=models.Index(fields=['status', 'task_deadline'], name='attempt_pending_work'),
        ),
        migrations.AddConstraint(
            model_name='attempt',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('requested', 'provisioning', 'ready'))), fields=('learner', 'challenge'), name='one_active_attempt_per_challenge'),
        ),
    ]
