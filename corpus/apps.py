from django.apps import AppConfig


class CorpusConfig(AppConfig):
    name = "corpus"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.work import work_kind_register
        from corpus.models import CorpusBuild
        from corpus.services import corpus_build_requeue

        work_kind_register(model=CorpusBuild, requeue=corpus_build_requeue)
