"""A training job becomes queued work like any other: its step count is its progress and
"stopped" is the "cancelled" every other kind of work says (its checkpoint stays, and a
retry goes on from it). Rows are kept; the statuses are rewritten both ways."""

from django.db import migrations, models


def stopped_to_cancelled(apps, schema_editor):
    job = apps.get_model("training", "TrainingJob")
    job.objects.filter(status="stopped").update(status="cancelled")


def cancelled_to_stopped(apps, schema_editor):
    job = apps.get_model("training", "TrainingJob")
    job.objects.filter(status="cancelled").update(status="stopped")


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0002_work_heartbeats"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="trainingjob", name="training_job_step_within_total"),
        migrations.RenameField(model_name="trainingjob", old_name="step", new_name="progress_done"),
        migrations.RenameField(
            model_name="trainingjob", old_name="total_steps", new_name="progress_total"
        ),
        migrations.AlterField(
            model_name="trainingjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "queued"), ("running", "running"), ("succeeded", "succeeded"),
                    ("failed", "failed"), ("cancelled", "cancelled"), ("stopped", "stopped"),
                ],
                default="queued",
                max_length=20,
            ),
        ),
        migrations.RunPython(stopped_to_cancelled, cancelled_to_stopped),
        migrations.AlterField(
            model_name="trainingjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "queued"), ("running", "running"), ("succeeded", "succeeded"),
                    ("failed", "failed"), ("cancelled", "cancelled"),
                ],
                default="queued",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingjob",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress_done__lte", models.F("progress_total"))),
                name="training_job_progress_within_total",
            ),
        ),
    ]
