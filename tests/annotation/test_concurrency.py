"""Many annotators claiming and submitting at once, on PostgreSQL (row locks, SKIP LOCKED).

Threads with a connection each, released together by a barrier, so claims and submits
really overlap; the data is committed (transactional_db), as in production.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from django.db import connection, connections

from annotation.models import Assignment, Rating
from annotation.services import assignment_next, rating_submit
from tests.support.factories import AnnotatorFactory
from tests.support.studies import scores, study_world

pytestmark = [pytest.mark.services]

THREADS = 36


def run_together(workers: list) -> list[BaseException]:
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker) -> None:
        try:
            barrier.wait()
            worker()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return errors


def test_simultaneous_claims_and_submits_never_overfill_or_lose_a_rating(
    postgres, transactional_db
):
    assert connection.vendor == "postgresql"
    world = study_world(samples=10, systems=2, raters=3)
    annotators = [AnnotatorFactory() for _ in range(THREADS)]
    stored: list[uuid.UUID] = []
    lock = threading.Lock()

    def rate_until_done(annotator) -> None:
        while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
            submission = uuid.uuid4()
            for _ in range(2):  # every submit is sent twice, as after a lost answer
                result = rating_submit(
                    annotator=annotator,
                    item_public_id=assignment.item.public_id,
                    scores=scores(),
                    comment="",
                    active_seconds=5,
                    submission_id=submission,
                )
            with lock:
                stored.append(result.rating.submission_id)

    errors = run_together(
        [lambda annotator=annotator: rate_until_done(annotator) for annotator in annotators]
    )
    assert errors == []
    ratings = Rating.objects.filter(assignment__item__study=world.study)
    per_item = Counter(ratings.values_list("assignment__item_id", flat=True))
    assert max(per_item.values()) <= 3
    # Everyone kept going until nothing was left: every slot is filled, none twice.
    assert sorted(per_item.values()) == [3] * 20
    pairs = ratings.values_list("assignment__item_id", "assignment__annotator_id")
    assert len(set(pairs)) == len(pairs)
    assert sorted(stored) == sorted(ratings.values_list("submission_id", flat=True))
    assert not Assignment.objects.filter(status="leased").exists()


def test_the_same_submission_sent_from_many_threads_at_once_is_stored_once(
    postgres, transactional_db
):
    world = study_world(samples=1, systems=1, raters=1)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    submission = uuid.uuid4()
    results = []

    def send() -> None:
        results.append(
            rating_submit(
                annotator=annotator,
                item_public_id=assignment.item.public_id,
                scores=scores(),
                comment="",
                active_seconds=1,
                submission_id=submission,
            )
        )

    assert run_together([send] * 12) == []
    assert Rating.objects.count() == 1
    assert sum(result.created for result in results) == 1
    assert {result.rating.pk for result in results} == {Rating.objects.get().pk}
