"""The corpus builder's models move to the corpus app: only Django's idea of where they
live changes (their tables keep their names and rows), and their content types follow
them, so permissions and admin history stay attached."""

from django.db import migrations

MOVED = ("corpusbuild", "corpusrewrite")


def content_types_move(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(
        content_type.objects.filter(app_label="corpus", model__in=MOVED).values_list(
            "model", flat=True
        )
    )
    content_type.objects.filter(app_label="generation", model__in=MOVED).exclude(
        model__in=taken
    ).update(app_label="corpus")


def content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="corpus", model__in=MOVED).update(
        app_label="generation"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0005_system_kind_reference"),
        ("corpus", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="corpusrewrite", name="build"),
                migrations.RemoveField(model_name="corpusrewrite", name="duplicate_of"),
                migrations.RemoveField(model_name="corpusrewrite", name="reviewed_by"),
                migrations.DeleteModel(name="CorpusBuild"),
                migrations.DeleteModel(name="CorpusRewrite"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_back),
    ]
