"""Bad input on the remaining paths (commands, draft and skip API, the gold-item form)
answers with a message and leaves stored data as it was."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotation.models import Assignment, Invitation, Item, Study
from annotation.services import assignment_next
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.studies import study_world

pytestmark = pytest.mark.django_db


def create_study(*arguments: str) -> str:
    return call_command("create_study", *arguments)


def test_create_study_makes_an_open_study_of_the_drawn_samples():
    world = study_world(samples=4, systems=2, open_it=False)
    dataset = world.responses[0].sample.dataset.name
    systems = ",".join(system.name for system in world.systems)
    summary = create_study(
        "round-1", "--dataset", dataset, "--systems", systems, "--samples", "3", "--open"
    )
    assert summary == "study round-1: 6 items, open"
    study = Study.objects.get(name="round-1")
    assert study.items.count() == 6
    assert study.pay_per_item == Decimal("0.418")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--systems": "nobody"}, "no system named 'nobody'"),
        ({"--dataset": "nowhere"}, "no dataset named 'nowhere'"),
        ({"--samples": "99"}, "only 4 samples"),
        ({"--samples": "0"}, "at least 1"),
        ({"--pay": "lots"}, "not a decimal amount"),
        ({"--raters": "0"}, "raters_per_item"),
        ({"--currency": "dollars"}, "three-letter code"),
        ({"--title": "{system} round"}, "names system"),
        ({"--too-fast-seconds": "0"}, "too_fast_seconds"),
        ({"--kind": "pairwise", "--pairs-per-sample": "2"}, "pairs per sample: between 1 and 1"),
        ({"--kind": "pairwise", "--systems": "{system}"}, "at least two systems"),
        ({"--pairs-per-sample": "2"}, "for --kind pairwise"),
    ],
)
def test_create_study_refuses_bad_arguments_and_makes_nothing(change, message):
    world = study_world(samples=4, systems=2, open_it=False)
    arguments = {
        "--dataset": world.responses[0].sample.dataset.name,
        "--systems": ",".join(system.name for system in world.systems),
        "--samples": "2",
    }
    arguments.update(
        {key: value.format(system=world.systems[0].name) for key, value in change.items()}
    )
    before = Study.objects.count()
    with pytest.raises(CommandError, match=message):
        create_study("round-x", *[part for pair in arguments.items() for part in pair])
    assert Study.objects.count() == before


def test_create_study_makes_a_pairwise_study_of_the_drawn_samples():
    world = study_world(samples=4, systems=3, open_it=False)
    dataset = world.responses[0].sample.dataset.name
    systems = ",".join(system.name for system in world.systems)
    summary = create_study(
        "pairs-1", "--dataset", dataset, "--systems", systems, "--samples", "3",
        "--kind", "pairwise", "--pairs-per-sample", "2", "--open",
    )  # fmt: skip
    assert summary == "study pairs-1: 6 pairs of 9 responses, open"
    study = Study.objects.get(name="pairs-1")
    assert study.is_pairwise
    assert study.items.filter(other_response__isnull=False).count() == 6


def test_create_study_refuses_a_name_in_use():
    world = study_world(samples=2, systems=1)
    with pytest.raises(CommandError, match="already exists"):
        create_study(
            world.study.name,
            "--dataset", world.responses[0].sample.dataset.name,
            "--systems", world.systems[0].name,
        )  # fmt: skip
    assert world.study.items.count() == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--days", "0"], "1 to 90 days"), (["--days", "91"], "1 to 90 days")],
)
def test_invite_annotator_refuses_a_bad_validity(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("invite_annotator", "Dr. Li", *arguments)
    with pytest.raises(CommandError, match="whom"):
        call_command("invite_annotator", "  ")
    assert not Invitation.objects.exists()


@pytest.fixture
def leased(client):
    world = study_world(samples=1, systems=1)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    client.force_login(annotator.user)
    return assignment


@pytest.mark.parametrize(
    "body",
    [
        {"content": 5, "active_seconds": 1},
        {"safety": "a", "active_seconds": 1},
        {"content": 1, "active_seconds": -3},
        {"content": 1},
        {"comment": "x" * 5001, "active_seconds": 1},
    ],
)
def test_a_bad_draft_is_refused_and_the_saved_one_stays(client, leased, body):
    url = reverse("annotation-api:draft", kwargs={"item_id": leased.item.public_id})
    good = client.put(
        url, json.dumps({"empathy": 2, "active_seconds": 0}), content_type="application/json"
    )
    assert good.status_code == 200
    response = client.put(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) & {*body, "active_seconds"}
    assert Assignment.objects.get(pk=leased.pk).draft == {"empathy": 2, "comment": ""}


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 501}])
def test_a_skip_without_a_usable_reason_is_refused(client, leased, body):
    url = reverse("annotation-api:skip", kwargs={"item_id": leased.item.public_id})
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Assignment.objects.get(pk=leased.pk).status == "leased"


def test_the_admin_adds_a_gold_item_and_refuses_bad_expected_scores(client):
    world = study_world(samples=2, systems=1, open_it=False)
    extra = world.responses[0].__class__.objects.create(
        sample=world.responses[0].sample,
        system=world.systems[0].__class__.objects.create(
            name="gold-source", kind="imported", responses_file="g.jsonl"
        ),
        text="你应该自己想开点。",
    )
    client.force_login(AdminFactory())
    url = reverse("admin:annotation_item_add")
    form = {
        "study": world.study.pk, "response": extra.pk, "expected_content": 1,
        "expected_empathy": 0, "expected_helpfulness": 0, "expected_safety": 1,
    }  # fmt: skip
    bad = client.post(url, {**form, "expected_empathy": 3})
    assert bad.status_code == 200
    assert not Item.objects.filter(response=extra).exists()
    # Blank expected scores: one error on each field, and no "added" beside them.
    blank = client.post(
        url, {"study": world.study.pk, "response": extra.pk}, follow=True
    ).content.decode()
    assert blank.count('class="errorlist') >= 4
    assert "added successfully" not in blank
    assert "Not saved" not in blank
    assert not Item.objects.filter(response=extra).exists()
    client.post(url, form)
    gold = Item.objects.get(response=extra)
    assert gold.is_gold
    assert gold.expected_scores() == {"content": 1, "empathy": 0, "helpfulness": 0, "safety": 1}
