"""The pages and API of one's own work: instructions, my ratings, revising, progress.

Who may reach each (admin without an annotator profile, the owner, another annotator,
anonymous), what they show, and that nothing of a system reaches them."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from annotation.models import Rating, RatingRevision, Study
from annotation.services import assignment_next, rating_submit, study_update
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.studies import scores, study_world

pytestmark = pytest.mark.django_db

INSTRUCTIONS = "请根据量表独立评分。Rate each response on its own."


@pytest.fixture
def setting(db):
    world = study_world(samples=2, systems=2, raters=3, system_names=["Secret-GLM", "Hidden-7B"])
    study_update(study=world.study, fields={"instructions": INSTRUCTIONS})
    owner, other = AnnotatorFactory(), AnnotatorFactory()
    rated = assignment_next(annotator=owner, study=world.study)
    rating_submit(
        annotator=owner,
        item_public_id=rated.item.public_id,
        scores=scores(),
        comment="我的评语",
        active_seconds=0,
        submission_id=uuid.uuid4(),
    )
    return {
        "world": world,
        "owner": owner,
        "other": other,
        "rated": rated.item.public_id,
        "study": world.study.public_id,
        "admin": AdminFactory(),
    }


def login_as(client, setting, role):
    if role == "admin":
        client.force_login(setting["admin"])
    elif role in ("owner", "other"):
        client.force_login(setting[role].user)


def revision_body():
    return {**scores(content=0), "active_seconds": 2, "submission_id": str(uuid.uuid4())}


# ruff: noqa: E501 (one line per endpoint reads as the table it is)
ENDPOINTS = [
    ("get", "annotation:ratings", {"study_id": "study"}, None, False, {"admin": 403, "owner": 200, "other": 200, "anonymous": 302}),
    ("get", "annotation:instructions", {"study_id": "study"}, None, False, {"admin": 403, "owner": 200, "other": 200, "anonymous": 302}),
    ("get", "annotation:revise", {"item_id": "rated"}, None, False, {"admin": 403, "owner": 200, "other": 404, "anonymous": 302}),
    ("post", "annotation:revise", {"item_id": "rated"}, "revise", False, {"admin": 403, "owner": 302, "other": 404, "anonymous": 302}),
    ("get", "annotation-api:ratings", {"study_id": "study"}, None, True, {"admin": 403, "owner": 200, "other": 200, "anonymous": 403}),
    ("post", "annotation-api:revise", {"item_id": "rated"}, "revise", True, {"admin": 403, "owner": 201, "other": 404, "anonymous": 403}),
]  # fmt: skip
ROLES = ["admin", "owner", "other", "anonymous"]


def call(client, setting, method, name, kwargs, body, api):
    url = reverse(name, kwargs={key: setting[value] for key, value in kwargs.items()})
    if body == "revise":
        body = revision_body()
    if api:
        payload = json.dumps(body) if body is not None else None
        return getattr(client, method)(url, payload, content_type="application/json")
    return getattr(client, method)(url, body or {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "name", "kwargs", "body", "api", "expected"), ENDPOINTS)
def test_role_matrix(client, setting, role, method, name, kwargs, body, api, expected):
    login_as(client, setting, role)
    response = call(client, setting, method, name, kwargs, body, api)
    assert response.status_code == expected[role], response.content[:300]
    if role == "anonymous" and not api:
        assert response["Location"].startswith(reverse("login"))
    # Only the owner's revision is stored; every other role changes nothing.
    stored = RatingRevision.objects.count()
    assert stored == (1 if role == "owner" and body == "revise" else 0)


@pytest.mark.parametrize("role", ["owner", "other"])
def test_no_system_name_or_id_reaches_an_annotator(client, setting, role):
    login_as(client, setting, role)
    pages = [
        client.get(reverse("annotation:ratings", kwargs={"study_id": setting["study"]})),
        client.get(reverse("annotation:instructions", kwargs={"study_id": setting["study"]})),
        client.get(reverse("annotation-api:ratings", kwargs={"study_id": setting["study"]})),
    ]
    if role == "owner":
        pages.append(client.get(reverse("annotation:revise", kwargs={"item_id": setting["rated"]})))
    world = setting["world"]
    for page in pages:
        text = page.content.decode()
        for system in world.systems:
            assert system.name not in text
            assert "system_id" not in text
            assert f'"system": {system.pk}' not in text


def test_my_ratings_page_shows_only_ones_own(client, setting):
    client.force_login(setting["other"].user)
    page = client.get(reverse("annotation:ratings", kwargs={"study_id": setting["study"]}))
    assert "我的评语" not in page.content.decode()
    assert setting["rated"] not in page.content.decode()
    client.force_login(setting["owner"].user)
    page = client.get(reverse("annotation:ratings", kwargs={"study_id": setting["study"]}))
    assert setting["rated"] in page.content.decode()
    api = client.get(reverse("annotation-api:ratings", kwargs={"study_id": setting["study"]}))
    [row] = api.json()["ratings"]
    assert row["item_public_id"] == setting["rated"]
    assert set(row) == {
        "item_public_id", "excerpt", "submitted_at", "revised_at", "revisions", "scores",
        "comment",
    }  # fmt: skip


def test_revising_on_the_page_replaces_the_rating_and_says_so(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation:revise", kwargs={"item_id": setting["rated"]})
    form = client.get(url).content.decode()
    assert 'name="content" value="2" checked' in form  # the current rating, to change
    answer = client.post(url, revision_body(), follow=True)
    assert "Rating revised." in answer.content.decode()
    assert Rating.objects.get().content == 0
    assert Rating.objects.count() == 1


def test_revising_with_bad_scores_shows_them_and_keeps_the_rating(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation:revise", kwargs={"item_id": setting["rated"]})
    answer = client.post(url, {**revision_body(), "empathy": "9"})
    assert answer.status_code == 400
    assert "9 is out of range" in answer.content.decode()
    assert Rating.objects.get().content == 2


def test_a_closed_study_offers_no_revision(client, setting):
    Study.objects.filter(pk=setting["world"].study.pk).update(status="closed")
    client.force_login(setting["owner"].user)
    url = reverse("annotation:revise", kwargs={"item_id": setting["rated"]})
    assert client.get(url)["Location"].endswith(
        reverse("annotation:item", kwargs={"item_id": setting["rated"]})
    )
    page = client.get(reverse("annotation:ratings", kwargs={"study_id": setting["study"]}))
    assert "can no longer be revised" in page.content.decode()
    api = client.post(
        reverse("annotation-api:revise", kwargs={"item_id": setting["rated"]}),
        json.dumps(revision_body()),
        content_type="application/json",
    )
    assert api.status_code == 409
    assert Rating.objects.get().content == 2


def test_the_instructions_come_before_the_first_item(client, setting):
    newcomer = AnnotatorFactory()
    client.force_login(newcomer.user)
    next_url = reverse("annotation:next", kwargs={"study_id": setting["study"]})
    instructions = reverse("annotation:instructions", kwargs={"study_id": setting["study"]})
    assert client.get(next_url)["Location"] == instructions
    page = client.get(instructions).content.decode()
    assert "请根据量表独立评分" in page
    assert client.get(next_url)["Location"].startswith("/portal/items/")


def test_every_item_links_the_instructions_and_says_where_one_is(client, setting):
    client.force_login(setting["owner"].user)
    leased = assignment_next(annotator=setting["owner"], study=setting["world"].study)
    page = client.get(reverse("annotation:item", kwargs={"item_id": leased.item.public_id}))
    text = page.content.decode()
    assert reverse("annotation:instructions", kwargs={"study_id": setting["study"]}) in text
    assert "Item 2 of 4" in text
    assert 'id="lease-left"' in text
    api = client.get(reverse("annotation-api:item", kwargs={"item_id": leased.item.public_id}))
    assert api.json()["progress"] == {
        "done": 1,
        "total": 4,
        "current": 2,
        "total_at_least": False,
    }


def test_instructions_that_name_a_system_are_refused(setting):
    from annotation.services import StudyInvalid

    with pytest.raises(StudyInvalid) as refused:
        study_update(study=setting["world"].study, fields={"instructions": "Rate Secret-GLM."})
    assert "instructions" in refused.value.errors
    assert Study.objects.get(pk=setting["world"].study.pk).instructions == INSTRUCTIONS
