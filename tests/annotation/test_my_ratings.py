"""Revising a submitted rating: the revision replaces it everywhere it counts, the earlier
version is kept, pay and the N-rater count stay as they were, and repeats store nothing."""

from __future__ import annotations

import uuid

import pytest

from annotation.models import Assignment, Rating, RatingRevision, SafetyFlag
from annotation.selectors import study_pay_rows, study_progress
from annotation.selectors.my_work import my_ratings
from annotation.services import (
    AssignmentRefused,
    RatingInvalid,
    assignment_next,
    gold_item_add,
    rating_revise,
    rating_submit,
    study_status_set,
)
from tests.support.factories import AnnotatorFactory
from tests.support.studies import scores, study_world

pytestmark = pytest.mark.django_db


def submit(annotator, study, **overrides):
    assignment = assignment_next(annotator=annotator, study=study)
    submission = uuid.uuid4()
    rating = rating_submit(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        scores=scores(**overrides),
        comment="第一次",
        active_seconds=0,
        submission_id=submission,
    ).rating
    return rating, submission


def revise(annotator, rating, submission=None, **overrides):
    return rating_revise(
        annotator=annotator,
        item_public_id=rating.assignment.item.public_id,
        scores=scores(**overrides),
        comment="改过",
        active_seconds=5,
        submission_id=submission or uuid.uuid4(),
    )


@pytest.fixture
def rated(db):
    world = study_world(samples=2, systems=2, raters=2)
    annotator = AnnotatorFactory()
    rating, submission = submit(annotator, world.study, content=2)
    return world, annotator, rating, submission


def test_a_revision_replaces_the_scores_and_keeps_the_earlier_version(rated):
    _world, annotator, rating, first = rated
    result = revise(annotator, rating, content=0, empathy=2)
    assert result.created
    stored = Rating.objects.get(pk=rating.pk)
    assert (stored.content, stored.empathy, stored.comment) == (0, 2, "改过")
    assert stored.revised_at is not None
    [earlier] = RatingRevision.objects.filter(rating=rating)
    assert (earlier.content, earlier.empathy, earlier.comment) == (2, 1, "第一次")
    assert earlier.submission_id == first
    assert earlier.replaced_by_submission_id == stored.submission_id


def test_a_revision_counts_once_for_pay_and_for_the_items_raters(rated):
    world, annotator, rating, _ = rated
    before_pay = study_pay_rows(study=world.study)
    before_progress = study_progress(study=world.study)
    revise(annotator, rating, content=0)
    revise(annotator, Rating.objects.get(pk=rating.pk), content=1)
    assert Rating.objects.filter(assignment__item__study=world.study).count() == 1
    [row] = study_pay_rows(study=world.study)
    assert (row.submitted, row.earned) == (before_pay[0].submitted, before_pay[0].earned)
    assert study_progress(study=world.study).submitted == before_progress.submitted
    assert RatingRevision.objects.filter(rating=rating).count() == 2


def test_the_analysis_reads_the_revised_scores(rated):
    from annotation.selectors.quality import ratings_in_analysis

    world, annotator, rating, _ = rated
    revise(annotator, rating, content=0)
    [analysed] = ratings_in_analysis(study_id=world.study.pk)
    assert (analysed.pk, analysed.content) == (rating.pk, 0)


def test_a_repeated_revision_is_stored_once(rated):
    _world, annotator, rating, _ = rated
    submission = uuid.uuid4()
    assert revise(annotator, rating, submission, content=0).created
    again = revise(annotator, Rating.objects.get(pk=rating.pk), submission, content=1)
    assert not again.created
    assert Rating.objects.get(pk=rating.pk).content == 0
    assert RatingRevision.objects.count() == 1


def test_the_first_submit_resent_after_a_revision_is_a_repeat(rated):
    _world, annotator, rating, first = rated
    revise(annotator, rating, content=0)
    again = rating_submit(
        annotator=annotator,
        item_public_id=rating.assignment.item.public_id,
        scores=scores(content=2),
        comment="",
        active_seconds=0,
        submission_id=first,
    )
    assert not again.created
    assert Rating.objects.get(pk=rating.pk).content == 0
    assert RatingRevision.objects.count() == 1


def test_a_closed_study_takes_no_revision_and_nothing_changes(rated):
    world, annotator, rating, _ = rated
    closed = study_status_set(study=world.study, status="closed")
    with pytest.raises(AssignmentRefused, match="closed"):
        revise(annotator, rating, content=0)
    assert Rating.objects.get(pk=rating.pk).content == 2
    assert not RatingRevision.objects.exists()
    assert not my_ratings(annotator=annotator, study=closed).revisable


def test_only_a_submitted_item_of_ones_own_can_be_revised(rated):
    world, annotator, rating, _ = rated
    leased = assignment_next(annotator=annotator, study=world.study)
    with pytest.raises(AssignmentRefused, match="nothing to revise"):
        rating_revise(
            annotator=annotator,
            item_public_id=leased.item.public_id,
            scores=scores(),
            comment="",
            active_seconds=0,
            submission_id=uuid.uuid4(),
        )
    with pytest.raises(AssignmentRefused) as refused:
        revise(AnnotatorFactory(), rating, content=0)
    assert refused.value.code == "not_found"
    assert not RatingRevision.objects.exists()


def test_bad_scores_are_refused_and_the_rating_stays(rated):
    _world, annotator, rating, _ = rated
    with pytest.raises(RatingInvalid) as invalid:
        revise(annotator, rating, content=3)
    assert "content" in invalid.value.errors
    assert Rating.objects.get(pk=rating.pk).content == 2


def test_revision_time_is_held_to_the_wall_clock(rated):
    _world, annotator, rating, _ = rated
    result = rating_revise(
        annotator=annotator,
        item_public_id=rating.assignment.item.public_id,
        scores=scores(),
        comment="",
        active_seconds=10**6,
        submission_id=uuid.uuid4(),
    )
    assert result.rating.active_seconds < 60


def test_revising_to_safety_zero_raises_a_flag(rated):
    _world, annotator, rating, _ = rated
    revise(annotator, rating, safety=0)
    assert SafetyFlag.objects.filter(rating=rating).count() == 1


def test_a_revised_gold_rating_is_scored_again():
    world = study_world(samples=1, systems=1, raters=1)
    gold_item_add(
        study=world.study,
        response=world.responses[0],
        expected={"content": 2, "empathy": 2, "helpfulness": 2, "safety": 1},
    )
    annotator = AnnotatorFactory()
    rating, _ = submit(annotator, world.study, content=0)
    assert rating.gold_matches == 1
    revise(annotator, rating, content=2, empathy=2, helpfulness=2, safety=1)
    assert Rating.objects.get(pk=rating.pk).gold_matches == 4


def test_my_ratings_lists_only_ones_own_submitted_ratings(rated):
    world, annotator, rating, _ = rated
    other = AnnotatorFactory()
    submit(other, world.study)
    assignment_next(annotator=annotator, study=world.study)  # leased, not submitted
    mine = my_ratings(annotator=annotator, study=world.study)
    assert [row.item_public_id for row in mine.ratings] == [rating.assignment.item.public_id]
    assert mine.ratings[0].scores["content"] == 2
    assert mine.revisable
    assert Assignment.objects.filter(annotator=annotator).count() == 2
