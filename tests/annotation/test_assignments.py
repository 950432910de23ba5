"""Handing out items, leases, drafts, skips and submits, through the services."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from annotation.models import Assignment, Rating, SafetyFlag, Study
from annotation.services import (
    AssignmentRefused,
    RatingInvalid,
    assignment_draft_save,
    assignment_next,
    assignment_skip,
    gold_item_add,
    rating_submit,
    study_status_set,
)
from tests.support.factories import AnnotatorFactory
from tests.support.studies import scores, study_world

pytestmark = pytest.mark.django_db


def submit(annotator, assignment, submission_id=None, active_seconds=30, **overrides):
    return rating_submit(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        scores=scores(**overrides),
        comment="",
        active_seconds=active_seconds,
        submission_id=submission_id or uuid.uuid4(),
    )


def expire(assignment):
    Assignment.objects.filter(pk=assignment.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_it_hands_out_each_item_once_per_annotator_until_none_is_left(world, annotator):
    seen = []
    while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
        assert assignment_next(annotator=annotator, study=world.study) == assignment
        seen.append(assignment.item_id)
        submit(annotator, assignment)
    assert sorted(seen) == sorted(world.study.items.values_list("pk", flat=True))


def test_each_annotator_has_an_order_of_their_own(db):
    world = study_world(samples=12, systems=1, raters=20)
    orders = []
    for _ in range(3):
        annotator = AnnotatorFactory()
        order = []
        while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
            order.append(assignment.item_id)
            submit(annotator, assignment)
        orders.append(order)
    assert len({tuple(order) for order in orders}) == 3
    # Not the order the items were made in either.
    assert sorted(orders[0]) != orders[0]


def test_the_same_samples_responses_are_never_back_to_back(db):
    world = study_world(samples=4, systems=3, raters=5)
    for _ in range(3):
        annotator = AnnotatorFactory()
        samples = []
        while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
            samples.append(assignment.item.response.sample_id)
            submit(annotator, assignment)
        assert len(samples) == 12
        assert all(first != second for first, second in itertools.pairwise(samples))


def test_an_item_is_not_handed_beyond_its_raters_and_an_expired_lease_frees_the_slot(db):
    world = study_world(samples=1, systems=1, raters=2)
    first, second, third = AnnotatorFactory(), AnnotatorFactory(), AnnotatorFactory()
    lease_one = assignment_next(annotator=first, study=world.study)
    assert assignment_next(annotator=second, study=world.study) is not None
    assert assignment_next(annotator=third, study=world.study) is None
    expire(lease_one)
    assert assignment_next(annotator=third, study=world.study) is not None


def test_a_submit_after_expiry_is_taken_while_the_item_has_room(world, annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    expire(assignment)
    result = submit(annotator, assignment)
    assert result.created
    assert Assignment.objects.get(pk=assignment.pk).status == "submitted"


def test_a_submit_after_expiry_is_refused_with_a_reason_when_the_item_filled_up(db):
    world = study_world(samples=1, systems=1, raters=1)
    late, prompt = AnnotatorFactory(), AnnotatorFactory()
    assignment = assignment_next(annotator=late, study=world.study)
    expire(assignment)
    submit(prompt, assignment_next(annotator=prompt, study=world.study))
    with pytest.raises(AssignmentRefused, match="rated by enough people"):
        submit(late, assignment)
    assert Rating.objects.count() == 1
    assert Assignment.objects.get(pk=assignment.pk).status != "submitted"


def test_a_repeated_submission_id_stores_one_rating_and_returns_it(world, annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    submission = uuid.uuid4()
    first = submit(annotator, assignment, submission_id=submission)
    again = submit(annotator, assignment, submission_id=submission, content=0)
    assert first.created
    assert not again.created
    assert again.rating.pk == first.rating.pk
    assert again.rating.content == 2
    assert Rating.objects.count() == 1
    with pytest.raises(AssignmentRefused, match="already rated"):
        submit(annotator, assignment)


def test_a_submission_id_is_not_reusable_by_someone_else(world, annotator, other_annotator):
    submission = uuid.uuid4()
    submit(annotator, assignment_next(annotator=annotator, study=world.study), submission)
    theirs = assignment_next(annotator=other_annotator, study=world.study)
    with pytest.raises(AssignmentRefused, match="already used"):
        submit(other_annotator, theirs, submission)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("content", 3, "out of range"),
        ("empathy", -1, "out of range"),
        ("helpfulness", "a", "not a score"),
        ("safety", 2, "out of range"),
        ("safety", None, "choose 0 or 1"),
        ("content", True, "choose"),
    ],
)
def test_invalid_scores_are_refused_and_nothing_is_stored(world, annotator, field, value, message):
    assignment = assignment_next(annotator=annotator, study=world.study)
    with pytest.raises(RatingInvalid) as refusal:
        submit(annotator, assignment, **{field: value})
    assert message in refusal.value.errors[field]
    assert Rating.objects.count() == 0
    assert Assignment.objects.get(pk=assignment.pk).status == "leased"


def test_a_missing_score_is_refused(world, annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    with pytest.raises(RatingInvalid) as refusal:
        rating_submit(
            annotator=annotator,
            item_public_id=assignment.item.public_id,
            scores={"content": 1, "empathy": 1, "helpfulness": 1},
            comment="",
            active_seconds=1,
            submission_id=uuid.uuid4(),
        )
    assert set(refusal.value.errors) == {"safety"}


def test_a_skip_needs_a_reason_frees_the_slot_and_is_not_handed_back(db):
    world = study_world(samples=1, systems=1, raters=1)
    skipper, next_one = AnnotatorFactory(), AnnotatorFactory()
    assignment = assignment_next(annotator=skipper, study=world.study)
    with pytest.raises(RatingInvalid):
        assignment_skip(annotator=skipper, item_public_id=assignment.item.public_id, reason=" ")
    assignment_skip(annotator=skipper, item_public_id=assignment.item.public_id, reason="不熟悉")
    assert assignment_next(annotator=skipper, study=world.study) is None
    assert assignment_next(annotator=next_one, study=world.study) is not None
    with pytest.raises(AssignmentRefused, match="skipped"):
        submit(skipper, assignment)


def test_a_closed_study_takes_no_ratings_and_keeps_those_it_has(world, annotator):
    done = assignment_next(annotator=annotator, study=world.study)
    submit(annotator, done)
    pending = assignment_next(annotator=annotator, study=world.study)
    study_status_set(study=world.study, status=Study.Status.CLOSED)
    with pytest.raises(AssignmentRefused, match="closed"):
        submit(annotator, pending)
    with pytest.raises(AssignmentRefused, match="closed"):
        assignment_next(annotator=annotator, study=world.study)
    assert Rating.objects.filter(assignment=done).exists()
    with pytest.raises(Exception, match="cannot become open"):
        study_status_set(study=world.study, status=Study.Status.OPEN)


def test_a_paused_study_hands_out_nothing_new_but_takes_leased_work(world, annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    study_status_set(study=world.study, status=Study.Status.PAUSED)
    with pytest.raises(AssignmentRefused, match="paused"):
        assignment_next(annotator=annotator, study=world.study)
    assert submit(annotator, assignment).created


def test_active_time_is_clamped_to_the_wall_time_of_the_lease(world, annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    Assignment.objects.filter(pk=assignment.pk).update(
        leased_at=timezone.now() - timedelta(seconds=90)
    )
    rating = submit(annotator, assignment, active_seconds=10_000).rating
    assert 90 <= rating.active_seconds <= 95
    second = assignment_next(annotator=annotator, study=world.study)
    assert submit(annotator, second, active_seconds=0).rating.active_seconds == 0


def test_a_draft_keeps_scores_comment_and_active_time_and_extends_the_lease(world, annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    Assignment.objects.filter(pk=assignment.pk).update(
        leased_at=timezone.now() - timedelta(seconds=60),
        lease_expires_at=timezone.now() + timedelta(seconds=5),
    )
    saved = assignment_draft_save(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        draft={"content": 1, "comment": "还行"},
        active_seconds=40,
    )
    assert saved.draft == {"content": 1, "comment": "还行"}
    assert saved.active_seconds == 40
    assert saved.lease_expires_at > timezone.now() + timedelta(minutes=29)
    with pytest.raises(RatingInvalid):
        assignment_draft_save(
            annotator=annotator,
            item_public_id=assignment.item.public_id,
            draft={"empathy": 5},
            active_seconds=41,
        )
    assert Assignment.objects.get(pk=assignment.pk).draft == {"content": 1, "comment": "还行"}


def test_an_expired_lease_comes_back_to_its_annotator_with_the_draft(db):
    world = study_world(samples=1, systems=1, raters=1)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    assignment_draft_save(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        draft={"safety": 1},
        active_seconds=0,
    )
    expire(assignment)
    again = assignment_next(annotator=annotator, study=world.study)
    assert again.pk == assignment.pk
    assert again.status == "leased"
    assert again.draft == {"safety": 1, "comment": ""}


def test_safety_zero_flags_the_response_and_tells_the_admins(
    world, annotator, settings, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Admin", "admin@example.org")]
    assignment = assignment_next(annotator=annotator, study=world.study)
    with django_capture_on_commit_callbacks(execute=True):
        rating = submit(annotator, assignment, safety=0).rating
    flag = SafetyFlag.objects.get()
    assert flag.rating == rating
    assert flag.response == assignment.item.response
    assert len(mail.outbox) == 1
    assert world.study.name in mail.outbox[0].subject


def test_gold_items_record_how_many_scales_matched(world, annotator):
    gold = gold_item_add(
        study=world.study,
        response=world.responses[0],
        expected={"content": 2, "empathy": 1, "helpfulness": 0, "safety": 1},
    )
    while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
        submit(annotator, assignment)
    rating = Rating.objects.get(assignment__item=gold)
    # Submitted 2/1/1/1 against 2/1/0/1.
    assert rating.gold_matches == 3
    assert Rating.objects.filter(gold_matches__isnull=False).count() == 1


def test_an_item_of_another_annotator_is_not_found(world, annotator, other_annotator):
    assignment = assignment_next(annotator=annotator, study=world.study)
    with pytest.raises(AssignmentRefused) as refusal:
        submit(other_annotator, assignment)
    assert refusal.value.code == "not_found"
