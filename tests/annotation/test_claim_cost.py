"""What a claim and a submit cost, and the slot counts kept on each item.

A claim reads a window of the open items along an index and a submit touches its own
item, so neither costs more queries in a larger study; the count of slots taken kept on
the item always equals its assignments (submitted, or leased and not given back)."""

from __future__ import annotations

import importlib
import itertools
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotation.models import Assignment, Item
from annotation.selectors import claims, my_work
from annotation.selectors.claims import CLAIM_WINDOW, claim_window, items_open_to
from annotation.services import assignment_next, assignment_skip, rating_submit, study_update
from tests.support.factories import AnnotatorFactory
from tests.support.studies import scores, study_world

pytestmark = pytest.mark.django_db

# What one request may cost, sessions and savepoints included (19 and 13 when written).
NEXT_QUERIES = 20
SUBMIT_QUERIES = 14


def cycle(client, study, annotator) -> tuple[int, int]:
    """One next and one submit through the API, as an annotator's browser sends them;
    the queries each took."""
    client.force_login(annotator.user)
    next_url = reverse("annotation-api:next", kwargs={"study_id": study.public_id})
    with CaptureQueriesContext(connection) as claim:
        item = client.post(next_url).json()
    body = {**scores(), "active_seconds": 3, "submission_id": str(uuid.uuid4())}
    submit_url = reverse("annotation-api:submit", kwargs={"item_id": item["public_id"]})
    with CaptureQueriesContext(connection) as submit:
        assert client.post(submit_url, body, content_type="application/json").status_code == 201
    return len(claim), len(submit)


def slots_match_assignments() -> bool:
    counted = Item.objects.annotate(
        holding=Count(
            "assignments",
            filter=Q(
                assignments__status__in=[Assignment.Status.SUBMITTED, Assignment.Status.LEASED]
            ),
        )
    )
    return all(item.slots_taken == item.holding for item in counted)


def expire(assignment) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def submit(annotator, assignment):
    return rating_submit(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        scores=scores(),
        comment="",
        active_seconds=1,
        submission_id=uuid.uuid4(),
    )


def test_next_and_submit_cost_no_more_queries_in_a_study_fifty_times_larger(
    postgres, client, django_assert_max_num_queries
):
    small, large = study_world(samples=30, systems=2), study_world(samples=1500, systems=2)
    counts = {}
    for world in (small, large):
        # Others' work first, so that neither study is empty of it.
        for _ in range(3):
            cycle(client, world.study, AnnotatorFactory())
        counts[world.study.pk] = cycle(client, world.study, annotator := AnnotatorFactory())
        client.force_login(annotator.user)
        next_url = reverse("annotation-api:next", kwargs={"study_id": world.study.public_id})
        with django_assert_max_num_queries(NEXT_QUERIES):
            item = client.post(next_url).json()
        submit_url = reverse("annotation-api:submit", kwargs={"item_id": item["public_id"]})
        body = {**scores(), "active_seconds": 3, "submission_id": str(uuid.uuid4())}
        with django_assert_max_num_queries(SUBMIT_QUERIES):
            client.post(submit_url, body, content_type="application/json")
    assert counts[large.study.pk] == counts[small.study.pk]


def test_a_study_larger_than_the_window_is_rated_through_without_a_sample_back_to_back(db):
    world = study_world(samples=CLAIM_WINDOW, systems=3, raters=2)
    annotator = AnnotatorFactory()
    samples = []
    while (assignment := assignment_next(annotator=annotator, study=world.study)) is not None:
        samples.append(assignment.item.response.sample_id)
        submit(annotator, assignment)
    assert len(samples) == 3 * CLAIM_WINDOW
    assert all(first != second for first, second in itertools.pairwise(samples))


def test_the_slots_taken_follow_leases_expiry_skips_and_late_submits(db):
    world = study_world(samples=2, systems=1, raters=2)
    first, second, third = AnnotatorFactory(), AnnotatorFactory(), AnnotatorFactory()
    leased = assignment_next(annotator=first, study=world.study)
    assert Item.objects.get(pk=leased.item_id).slots_taken == 1
    expire(leased)
    # The next claim in the study gives the slot back, under the item's lock.
    assignment_next(annotator=second, study=world.study)
    assert Assignment.objects.get(pk=leased.pk).status == Assignment.Status.EXPIRED
    assert slots_match_assignments()
    # A late submit takes it again while there is room.
    submit(first, leased)
    assert Item.objects.get(pk=leased.item_id).slots_taken >= 1
    assert slots_match_assignments()
    skipped = assignment_next(annotator=third, study=world.study)
    assignment_skip(annotator=third, item_public_id=skipped.item.public_id, reason="unclear")
    assert slots_match_assignments()
    # Their own expired lease, not given back yet, is leased again without a second slot.
    again = assignment_next(annotator=first, study=world.study)
    expire(again)
    assert assignment_next(annotator=first, study=world.study).item_id == again.item_id
    assert slots_match_assignments()


def test_the_database_refuses_an_ordinary_item_over_its_slots(db):
    world = study_world(samples=1, systems=1, raters=2)
    item = world.study.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(pk=item.pk).update(slots_taken=3)
    Item.objects.filter(pk=item.pk).update(
        is_gold=True,
        expected_content=2,
        expected_empathy=2,
        expected_helpfulness=2,
        expected_safety=1,
    )
    # Gold items are uncapped: every annotator gets each once.
    Item.objects.filter(pk=item.pk).update(slots_taken=3)


def test_raters_changed_before_the_start_change_every_items_slots(db):
    world = study_world(samples=2, systems=2, raters=3)
    study_update(study=world.study, fields={"raters_per_item": 5})
    assert set(world.study.items.values_list("slots", flat=True)) == {5}


def test_the_migration_counts_the_slots_of_existing_work(db):
    world = study_world(samples=2, systems=1, raters=3)
    leased = assignment_next(annotator=AnnotatorFactory(), study=world.study)
    rater = AnnotatorFactory()
    submit(rater, assignment_next(annotator=rater, study=world.study))
    assert leased is not None
    Item.objects.update(slots=1, slots_taken=0)
    migration = importlib.import_module("annotation.migrations.0005_item_slots")
    migration.slots_fill(apps, None)
    assert set(Item.objects.values_list("slots", flat=True)) == {3}
    assert slots_match_assignments()


def test_progress_stops_counting_open_items_at_its_limit_and_says_so(db, client, monkeypatch):
    monkeypatch.setattr(my_work, "PROGRESS_COUNT_LIMIT", 5)
    world = study_world(samples=6, systems=2)
    annotator = AnnotatorFactory()
    leased = assignment_next(annotator=annotator, study=world.study)
    client.force_login(annotator.user)
    api = client.get(reverse("annotation-api:item", kwargs={"item_id": leased.item.public_id}))
    assert api.json()["progress"] == {
        "done": 0,
        "total": 6,
        "current": 1,
        "total_at_least": True,
    }
    page = client.get(reverse("annotation:item", kwargs={"item_id": leased.item.public_id}))
    assert "Item 1 of 6 or more" in page.content.decode()


def test_the_claim_window_reads_exactly_the_items_open_to_the_annotator(db):
    world = study_world(samples=40, systems=2, raters=1)
    annotator, other = AnnotatorFactory(), AnnotatorFactory()
    items = list(world.study.items.order_by("pk"))
    # Theirs: rated, skipped, held now, and a lease that ran out (which may return).
    for _ in range(4):
        submit(annotator, assignment_next(annotator=annotator, study=world.study))
    skipped = assignment_next(annotator=annotator, study=world.study)
    assignment_skip(annotator=annotator, item_public_id=skipped.item.public_id, reason="x")
    expire(assignment_next(annotator=annotator, study=world.study))
    assignment_next(annotator=annotator, study=world.study)
    # Others': full items, one held back for naming its system, one gold.
    for _ in range(5):
        submit(other, assignment_next(annotator=other, study=world.study))
    Item.objects.filter(pk=items[-1].pk).update(screening=Item.Screening.HELD)
    Item.objects.filter(pk=items[-2].pk).update(
        is_gold=True, expected_content=2, expected_empathy=2, expected_helpfulness=2,
        expected_safety=1, slots_taken=F("slots"),
    )  # fmt: skip
    now = timezone.now()
    open_items = items_open_to(study=world.study, annotator=annotator, now=now)
    _, _, start = claims._permutation(world.study, annotator)
    expected = sorted(
        open_items.values_list("pk", "shuffle_key"), key=lambda row: (row[1] < start, row[1])
    )
    window = claim_window(study=world.study, annotator=annotator, now=now)
    assert [c.item_id for c in window.candidates] == [pk for pk, _ in expected][:CLAIM_WINDOW]
    assert window.more == (len(expected) > CLAIM_WINDOW)
    passed = [pk for pk, _ in expected[:10]]
    narrower = claim_window(study=world.study, annotator=annotator, now=now, passed=passed)
    assert [c.item_id for c in narrower.candidates] == [pk for pk, _ in expected[10:]][
        :CLAIM_WINDOW
    ]
    theirs = set(Assignment.objects.filter(annotator=annotator).values_list("item_id", flat=True))
    assert all(c.theirs_before == (c.item_id in theirs) for c in window.candidates)
