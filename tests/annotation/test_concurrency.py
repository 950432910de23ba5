"""Many annotators claiming and submitting at once, on PostgreSQL (row locks, SKIP LOCKED).

Threads with a connection each, released together by a barrier, so claims and submits
really overlap; the data is committed (transactional_db), as in production.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from annotation.models import Assignment, Item, PairVote, Rating
from annotation.services import AssignmentRefused, assignment_next, assignment_skip, rating_submit
from annotation.services.votes import vote_submit
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
    # The count kept on each item is its ratings, none lost or added by the races.
    assert all(
        item.slots_taken == per_item[item.pk] for item in Item.objects.filter(study=world.study)
    )


def test_simultaneous_claims_and_votes_on_a_pairwise_study_never_overfill_or_lose_a_vote(
    postgres, transactional_db
):
    world = study_world(samples=10, systems=3, raters=3, pairwise=True, pairs_per_sample=2)
    annotators = [AnnotatorFactory() for _ in range(THREADS)]
    stored: list[uuid.UUID] = []
    lock = threading.Lock()

    def vote_until_done(annotator) -> None:
        while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
            submission = uuid.uuid4()
            for _ in range(2):  # every vote is sent twice, as after a lost answer
                result = vote_submit(
                    annotator=annotator,
                    item_public_id=assignment.item.public_id,
                    choices={"overall": "tie"},
                    comment="",
                    active_seconds=5,
                    submission_id=submission,
                )
            with lock:
                stored.append(result.vote.submission_id)

    errors = run_together(
        [lambda annotator=annotator: vote_until_done(annotator) for annotator in annotators]
    )
    assert errors == []
    votes = PairVote.objects.filter(assignment__item__study=world.study)
    per_item = Counter(votes.values_list("assignment__item_id", flat=True))
    assert sorted(per_item.values()) == [3] * 20
    pairs = votes.values_list("assignment__item_id", "assignment__annotator_id")
    assert len(set(pairs)) == len(pairs)
    assert sorted(stored) == sorted(votes.values_list("submission_id", flat=True))
    assert not Assignment.objects.filter(status="leased").exists()
    assert not Assignment.objects.filter(response_on_left__isnull=True).exists()
    assert all(
        item.slots_taken == per_item[item.pk] for item in Item.objects.filter(study=world.study)
    )


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


def test_leases_running_out_amid_claims_skips_and_late_submits_keep_every_count_exact(
    postgres, transactional_db
):
    world = study_world(samples=8, systems=2, raters=2)
    annotators = [AnnotatorFactory() for _ in range(THREADS)]

    def work(annotator, turn: int) -> None:
        for _ in range(6):
            assignment = assignment_next(annotator=annotator, study=world.study)
            if assignment is None:
                return
            # Leases run out under everyone's feet; some give up, some submit late.
            Assignment.objects.filter(pk=assignment.pk).update(
                lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
            try:
                if turn % 3 == 0:
                    assignment_skip(
                        annotator=annotator, item_public_id=assignment.item.public_id, reason="x"
                    )
                elif turn % 3 == 1:
                    rating_submit(
                        annotator=annotator,
                        item_public_id=assignment.item.public_id,
                        scores=scores(),
                        comment="",
                        active_seconds=1,
                        submission_id=uuid.uuid4(),
                    )
            except AssignmentRefused:
                pass  # the item filled up meanwhile: refused, with its reason

    errors = run_together(
        [lambda a=annotator, turn=turn: work(a, turn) for turn, annotator in enumerate(annotators)]
    )
    assert errors == []
    holding = Counter(
        Assignment.objects.filter(
            item__study=world.study, status__in=["submitted", "leased"]
        ).values_list("item_id", flat=True)
    )
    ratings = Counter(
        Rating.objects.filter(assignment__item__study=world.study).values_list(
            "assignment__item_id", flat=True
        )
    )
    for item in Item.objects.filter(study=world.study):
        assert item.slots_taken == holding[item.pk]
        assert ratings[item.pk] <= 2
