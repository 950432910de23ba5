from __future__ import annotations

from celery import shared_task

from corpus.services import corpus_build_run


@shared_task(name="corpus.tasks.corpus_build_run")
def corpus_build_run_task(build_id: int) -> None:
    # Safe to deliver twice: only pending records are asked, each answer is stored under
    # a row lock, and a build held by a live run is left alone. A broken run fails the
    # build with the reason; `build_corpus --resume` goes on.
    corpus_build_run(build_id=build_id)
