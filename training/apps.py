from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.work import work_kind_register
        from training.models import TrainingJob
        from training.services import training_job_requeue

        work_kind_register(model=TrainingJob, requeue=training_job_requeue)
