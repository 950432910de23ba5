"""Pairwise studies: built by the balanced design, their sides drawn per annotator and
kept, votes stored once under the same slot rules as ratings, drafts, skips, screening
of both answers, and the annotator's own list, stats and pay."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from itertools import combinations

import pytest
from django.utils import timezone

from annotation.models import Assignment, Item, PairVote, Rating, Study
from annotation.selectors import annotator_stats, item_view, study_pay_rows, study_systems
from annotation.selectors.my_work import my_ratings
from annotation.services import (
    AssignmentRefused,
    RatingInvalid,
    StudyInvalid,
    assignment_draft_save,
    assignment_next,
    assignment_skip,
    gold_item_add,
    item_screening_decide,
    rating_revise,
    rating_submit,
)
from annotation.services.pair_studies import study_pairwise_create
from annotation.services.votes import vote_submit
from generation.models import Response
from tests.support.factories import AnnotatorFactory, SampleFactory, SystemFactory
from tests.support.studies import scores, study_world, vote_next

pytestmark = pytest.mark.django_db


def vote(annotator, item_public_id: str, overall: str = "left", submission=None, **extra):
    return vote_submit(
        annotator=annotator,
        item_public_id=item_public_id,
        choices={"overall": overall, **extra.pop("dimensions", {})},
        comment=extra.pop("comment", ""),
        active_seconds=extra.pop("active_seconds", 4),
        submission_id=submission or uuid.uuid4(),
    )


def test_the_items_are_pairs_of_one_samples_answers_balanced_over_pairs_of_systems(db):
    world = study_world(samples=12, systems=4, raters=2, pairwise=True, pairs_per_sample=2)
    study = world.study
    assert study.kind == Study.Kind.PAIRWISE
    assert study.is_pairwise
    items = list(study.items.select_related("response", "other_response"))
    assert len(items) == 24
    for item in items:
        assert item.other_response is not None
        assert item.response.sample_id == item.other_response.sample_id
        assert item.response.system_id != item.other_response.system_id
        assert item.slots == 2
        assert not item.is_gold
    per_sample = Counter(item.response.sample_id for item in items)
    assert set(per_sample.values()) == {2}
    # Every pair of systems is dealt as often as every other, within one.
    dealt = Counter(
        frozenset((item.response.system_id, item.other_response.system_id)) for item in items
    )
    assert len(dealt) == len(list(combinations(world.systems, 2)))
    assert max(dealt.values()) - min(dealt.values()) <= 1
    assert set(study_systems(study=study)) == set(world.systems)


def test_a_seed_gives_the_same_pairs_and_another_seed_other_ones(db):
    world = study_world(samples=9, systems=3, raters=1, open_it=False)

    def pairs(seed: int, name: str):
        study = study_pairwise_create(name=name, responses=world.responses, seed=seed)
        return sorted(
            (item.response.sample_id, item.response.system_id, item.other_response_id)
            for item in study.items.select_related("response")
        )

    assert pairs(1, "a") == pairs(1, "b")
    assert pairs(1, "c") != pairs(2, "d")


def test_refusals_store_nothing(db):
    world = study_world(samples=3, systems=3, raters=1, open_it=False)
    before = Study.objects.count(), Item.objects.count()
    with pytest.raises(StudyInvalid, match="pairs_per_sample"):
        study_pairwise_create(name="x", responses=world.responses, pairs_per_sample=4)
    with pytest.raises(StudyInvalid, match="lack an answer"):
        study_pairwise_create(name="x", responses=world.responses[:-1])
    lonely = [response for response in world.responses if response.system == world.systems[0]]
    with pytest.raises(StudyInvalid, match="at least two systems"):
        study_pairwise_create(name="x", responses=lonely)
    with pytest.raises(StudyInvalid, match="one system answers it twice"):
        study_pairwise_create(name="x", responses=[*world.responses, world.responses[0]])
    with pytest.raises(StudyInvalid, match="at least one response"):
        study_pairwise_create(name="x", responses=[])
    assert (Study.objects.count(), Item.objects.count()) == before


def test_a_pairwise_study_takes_no_gold_item(db):
    world = study_world(samples=2, systems=2, raters=1, pairwise=True)
    with pytest.raises(StudyInvalid, match="no gold items"):
        gold_item_add(study=world.study, response=world.responses[0], expected=scores())


def test_each_annotator_gets_a_side_drawn_for_them_and_keeps_it_when_handed_it_again(db):
    world = study_world(samples=1, systems=2, raters=40, lease_minutes=1, pairwise=True)
    item = world.study.items.get()
    annotators = [AnnotatorFactory() for _ in range(40)]
    sides = []
    for annotator in annotators:
        assignment = assignment_next(annotator=annotator, study=world.study)
        assert assignment.item == item
        assert assignment.response_on_left is not None
        sides.append(assignment.response_on_left)
        seen = item_view(annotator=annotator, item_public_id=item.public_id)
        first, second = item.response.text, item.other_response.text
        expected = (first, second) if assignment.response_on_left else (second, first)
        assert (seen.left_text, seen.right_text) == expected
        assert seen.response_text == ""
        assert seen.is_pairwise
    # Drawn, not fixed: 40 annotators all on one side would happen once in 5·10¹¹.
    assert 0 < sum(sides) < 40
    # Their lease runs out and they are handed the same pair again: the same sides.
    first = annotators[0]
    Assignment.objects.filter(annotator=first).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    again = assignment_next(annotator=first, study=world.study)
    assert again.response_on_left == sides[0]
    assert Assignment.objects.filter(annotator=first).count() == 1


def test_a_vote_is_stored_once_with_its_sides_and_a_repeat_gets_it_back(db):
    world = study_world(samples=2, systems=2, raters=1, pairwise=True)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    submission = uuid.uuid4()
    first = vote(
        annotator, assignment.item.public_id, "right", submission,
        dimensions={"empathy": "left", "safety": "tie"}, comment=" 右边更具体 ",
    )  # fmt: skip
    again = vote(annotator, assignment.item.public_id, "left", submission)
    assert first.created
    assert not again.created
    assert again.vote.pk == first.vote.pk
    stored = PairVote.objects.get()
    assert (stored.overall, stored.dimensions(), stored.comment) == (
        "right", {"empathy": "left", "safety": "tie"}, "右边更具体",
    )  # fmt: skip
    assert stored.active_seconds <= 4
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.SUBMITTED
    assert assignment.draft == {}
    with pytest.raises(AssignmentRefused, match="already voted"):
        vote(annotator, assignment.item.public_id, "tie")
    assert PairVote.objects.count() == 1
    seen = item_view(annotator=annotator, item_public_id=assignment.item.public_id)
    assert seen.vote["overall"] == "right"
    assert seen.rating is None


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        ({}, "overall"),
        ({"overall": "first"}, "overall"),
        ({"overall": "left", "empathy": "2"}, "empathy"),
        ({"overall": "left", "system": "a"}, "system"),
    ],
)
def test_a_bad_vote_is_refused_with_its_field_and_nothing_changes(db, choices, field):
    world = study_world(samples=1, systems=2, raters=1, pairwise=True)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    with pytest.raises(RatingInvalid) as refused:
        vote_submit(
            annotator=annotator, item_public_id=assignment.item.public_id, choices=choices,
            comment="", active_seconds=1, submission_id=uuid.uuid4(),
        )  # fmt: skip
    assert field in refused.value.errors
    assert not PairVote.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.LEASED


def test_ratings_and_votes_each_go_to_their_own_kind_of_study(db):
    pairs = study_world(samples=1, systems=2, raters=1, pairwise=True)
    ratings = study_world(samples=1, systems=1, raters=1)
    annotator = AnnotatorFactory()
    pair = assignment_next(annotator=annotator, study=pairs.study).item.public_id
    single = assignment_next(annotator=annotator, study=ratings.study).item.public_id
    with pytest.raises(AssignmentRefused, match="a pair"):
        rating_submit(
            annotator=annotator, item_public_id=pair, scores=scores(), comment="",
            active_seconds=1, submission_id=uuid.uuid4(),
        )  # fmt: skip
    with pytest.raises(AssignmentRefused, match="not voted on"):
        vote(annotator, single)
    with pytest.raises(AssignmentRefused, match="not voted on"):
        assignment_draft_save(
            annotator=annotator, item_public_id=single, draft={"overall": "left"},
            active_seconds=1, pairwise=True,
        )  # fmt: skip
    vote(annotator, pair)
    with pytest.raises(AssignmentRefused, match="cannot be revised"):
        rating_revise(
            annotator=annotator, item_public_id=pair, scores=scores(), comment="",
            active_seconds=1, submission_id=uuid.uuid4(),
        )  # fmt: skip
    assert not Rating.objects.exists()
    assert PairVote.objects.count() == 1


def test_a_draft_keeps_the_choices_so_far_and_refuses_a_bad_one(db):
    world = study_world(samples=1, systems=2, raters=1, pairwise=True)
    annotator = AnnotatorFactory()
    item = assignment_next(annotator=annotator, study=world.study).item.public_id
    saved = assignment_draft_save(
        annotator=annotator, item_public_id=item,
        draft={"empathy": "right", "comment": "还在想"}, active_seconds=3,
    )  # fmt: skip
    assert saved.draft == {"empathy": "right", "comment": "还在想"}
    with pytest.raises(RatingInvalid, match="overall"):
        assignment_draft_save(
            annotator=annotator, item_public_id=item, draft={"overall": 1}, active_seconds=3
        )
    saved.refresh_from_db()
    assert saved.draft == {"empathy": "right", "comment": "还在想"}


def test_no_pair_gets_more_votes_than_its_raters_and_a_late_vote_is_told_why(db):
    world = study_world(samples=1, systems=2, raters=1, lease_minutes=1, pairwise=True)
    late, prompt = AnnotatorFactory(), AnnotatorFactory()
    item = assignment_next(annotator=late, study=world.study).item
    assert assignment_next(annotator=prompt, study=world.study) is None
    Assignment.objects.filter(annotator=late).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert assignment_next(annotator=prompt, study=world.study).item == item
    vote(prompt, item.public_id)
    with pytest.raises(AssignmentRefused, match="ran out"):
        vote(late, item.public_id)
    item.refresh_from_db()
    assert item.slots_taken == 1
    assert PairVote.objects.count() == 1


def test_a_skipped_pair_gives_its_slot_back_and_takes_no_vote(db):
    world = study_world(samples=1, systems=2, raters=1, pairwise=True)
    annotator, other = AnnotatorFactory(), AnnotatorFactory()
    item = assignment_next(annotator=annotator, study=world.study).item
    assignment_skip(annotator=annotator, item_public_id=item.public_id, reason="不熟悉")
    with pytest.raises(AssignmentRefused, match="skipped"):
        vote(annotator, item.public_id)
    assert assignment_next(annotator=other, study=world.study).item == item


def test_a_pair_is_held_when_either_answer_names_a_system_and_masking_masks_both(db, client):
    systems = [SystemFactory(name="plain-one"), SystemFactory(name="plain-two")]
    sample = SampleFactory()
    responses = [
        Response.objects.create(sample=sample, system=systems[0], text="我理解你的感受。"),
        Response.objects.create(sample=sample, system=systems[1], text="作为一个AI，我建议休息。"),
    ]
    study = study_pairwise_create(name="held", responses=responses)
    item = study.items.get()
    assert item.screening == Item.Screening.HELD
    assert item.identity_matches == [] or item.other_identity_matches == []
    from django.urls import reverse

    from tests.support.factories import AdminFactory

    client.force_login(AdminFactory())
    page = client.get(reverse("admin:annotation_study_screening", args=[study.pk]))
    assert '<mark title="作为一个AI">作为一个AI</mark>' in page.content.decode()
    assert "paired with plain-" in page.content.decode()
    decided = item_screening_decide(item=item, decision="mask", by=None)
    shown = {decided.masked_text, decided.other_masked_text}
    assert "我理解你的感受。" in shown
    assert not any("作为一个AI" in text for text in shown)
    annotator = AnnotatorFactory()
    from annotation.services import study_status_set

    study_status_set(study=study, status="open")
    assignment_next(annotator=annotator, study=study)
    seen = item_view(annotator=annotator, item_public_id=item.public_id)
    assert "作为一个AI" not in seen.left_text + seen.right_text
    assert "［…］" in seen.left_text + seen.right_text


def test_their_list_stats_and_pay_count_votes_as_items(db):
    world = study_world(samples=3, systems=2, raters=1, pairwise=True)
    annotator = AnnotatorFactory()
    for _ in range(2):
        vote_next(annotator, world.study, "tie", content="left")
    mine = my_ratings(annotator=annotator, study=world.study)
    assert mine.ratings == []
    assert not mine.revisable
    assert [entry.overall for entry in mine.votes] == ["tie", "tie"]
    assert mine.votes[0].dimensions == {"content": "left"}
    (stats,) = [
        s
        for s in annotator_stats(annotator=annotator)
        if s.study_public_id == world.study.public_id
    ]
    assert stats.submitted == 2
    assert stats.available == 1
    assert stats.earned == 2 * world.study.pay_per_item
    (row,) = study_pay_rows(study=world.study)
    assert row.submitted == 2
    assert row.gold_rated == 0
    assert row.gold_accuracy is None
