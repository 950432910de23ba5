from django.apps import AppConfig


class JudgingConfig(AppConfig):
    name = "judging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.work import work_kind_register
        from judging.models import JudgeRun
        from judging.services import judge_run_requeue

        work_kind_register(model=JudgeRun, requeue=judge_run_requeue)
