from django.db import migrations, models


def backfill(apps, schema_editor):
    """Runs stored before the field existed: read once from their results, as a check now stores it."""
    CheckRun = apps.get_model("challenges", "CheckRun")
    batch = []
    for run in CheckRun.objects.filter(state="done", passed=False).only("pk", "results").iterator(2000):
        run.failed_objectives = [r.get("key", "") for r in run.results or () if not r.get("passed")]
        batch.append(run)
        if len(batch) >= 2000:
            CheckRun.objects.bulk_update(batch, ["failed_objectives"])
            batch = []
    CheckRun.objects.bulk_update(batch, ["failed_objectives"])


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkrun",
            name="failed_objectives",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
