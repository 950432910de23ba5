from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.work import work_kind_register
        from generation.models import GenerationJob
        from generation.services.jobs import generation_job_requeue

        work_kind_register(model=GenerationJob, requeue=generation_job_requeue)
