"""Who may reach what, page by page and endpoint by endpoint, and what an annotator sees.

Roles: admin (staff, no annotator profile), the annotator an item belongs to, another
annotator, anonymous.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from annotation.models import Assignment, Rating
from annotation.services import assignment_next, rating_submit
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.studies import scores, study_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(db):
    world = study_world(samples=2, systems=2, raters=3)
    owner, other = AnnotatorFactory(), AnnotatorFactory()
    leased = assignment_next(annotator=owner, study=world.study)
    return {
        "world": world,
        "owner": owner,
        "other": other,
        "item": leased.item.public_id,
        "study": world.study.public_id,
        "admin": AdminFactory(),
    }


def login_as(client, setting, role):
    if role == "admin":
        client.force_login(setting["admin"])
    elif role in ("owner", "other"):
        client.force_login(setting[role].user)


# (method, url name, kwargs from the setting, body) → status per role.
# ruff: noqa: E501 (one line per endpoint reads as the table it is)
PAGES = [
    (
        "get",
        "annotation:portal",
        {},
        None,
        {"admin": 403, "owner": 200, "other": 200, "anonymous": 302},
    ),
    (
        "get",
        "annotation:item",
        {"item_id": "item"},
        None,
        {"admin": 403, "owner": 200, "other": 404, "anonymous": 302},
    ),
    (
        "post",
        "annotation:item",
        {"item_id": "item"},
        "submit",
        {"admin": 403, "owner": 302, "other": 404, "anonymous": 302},
    ),
    (
        "post",
        "annotation:skip",
        {"item_id": "item"},
        {"reason": "不熟悉"},
        {"admin": 403, "owner": 302, "other": 404, "anonymous": 302},
    ),
    (
        "get",
        "annotation:next",
        {"study_id": "study"},
        None,
        {"admin": 403, "owner": 302, "other": 302, "anonymous": 302},
    ),
]
APIS = [
    ("get", "annotation-api:stats", {}, None, {"admin": 403, "owner": 200, "other": 200, "anonymous": 403}),
    ("get", "annotation-api:item", {"item_id": "item"}, None, {"admin": 403, "owner": 200, "other": 404, "anonymous": 403}),
    ("put", "annotation-api:draft", {"item_id": "item"}, {"content": 1, "active_seconds": 3}, {"admin": 403, "owner": 200, "other": 404, "anonymous": 403}),
    ("post", "annotation-api:submit", {"item_id": "item"}, "submit", {"admin": 403, "owner": 201, "other": 404, "anonymous": 403}),
    ("post", "annotation-api:skip", {"item_id": "item"}, {"reason": "不熟悉"}, {"admin": 403, "owner": 200, "other": 404, "anonymous": 403}),
    ("post", "annotation-api:next", {"study_id": "study"}, None, {"admin": 403, "owner": 200, "other": 200, "anonymous": 403}),
    ("get", "api-schema", {}, None, {"admin": 200, "owner": 200, "other": 200, "anonymous": 403}),
]  # fmt: skip
ROLES = ["admin", "owner", "other", "anonymous"]


def call(client, setting, method, name, kwargs, body, *, api):
    url = reverse(name, kwargs={key: setting[value] for key, value in kwargs.items()})
    if body == "submit":
        body = {**scores(), "active_seconds": 3, "submission_id": str(uuid.uuid4())}
    if api:
        payload = json.dumps(body) if body is not None else None
        return getattr(client, method)(url, payload, content_type="application/json")
    return getattr(client, method)(url, body or {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "name", "kwargs", "body", "expected"), PAGES)
def test_page_role_matrix(client, setting, role, method, name, kwargs, body, expected):
    login_as(client, setting, role)
    response = call(client, setting, method, name, kwargs, body, api=False)
    assert response.status_code == expected[role]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "name", "kwargs", "body", "expected"), APIS)
def test_api_role_matrix(client, setting, role, method, name, kwargs, body, expected):
    login_as(client, setting, role)
    response = call(client, setting, method, name, kwargs, body, api=True)
    assert response.status_code == expected[role], response.content


def test_nothing_changes_when_someone_else_posts_to_an_item(client, setting):
    client.force_login(setting["other"].user)
    call(client, setting, "post", "annotation-api:submit", {"item_id": "item"}, "submit", api=True)
    call(
        client, setting, "post", "annotation:skip", {"item_id": "item"}, {"reason": "x"}, api=False
    )
    assert Rating.objects.count() == 0
    assert Assignment.objects.get(item__public_id=setting["item"]).status == "leased"


def test_stats_show_only_the_annotators_own_work(client, setting):
    owner, other = setting["owner"], setting["other"]
    rating_submit(
        annotator=owner,
        item_public_id=setting["item"],
        scores=scores(),
        comment="",
        active_seconds=0,
        submission_id=uuid.uuid4(),
    )
    client.force_login(other.user)
    [mine] = client.get(reverse("annotation-api:stats")).json()
    assert mine["submitted"] == 0
    assert mine["assigned"] == 0
    client.force_login(owner.user)
    [theirs] = client.get(reverse("annotation-api:stats")).json()
    assert theirs["submitted"] == 1
    assert theirs["earned"] == "0.418"


def test_the_api_refuses_bad_scores_with_messages_and_stores_nothing(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation-api:submit", kwargs={"item_id": setting["item"]})
    for bad in ({"content": 3}, {"empathy": -1}, {"helpfulness": "a"}, {"safety": None}):
        body = {**scores(), **bad, "active_seconds": 1, "submission_id": str(uuid.uuid4())}
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 400
        assert next(iter(bad)) in response.json()
    missing = {"content": 1, "active_seconds": 1, "submission_id": str(uuid.uuid4())}
    response = client.post(url, json.dumps(missing), content_type="application/json")
    assert set(response.json()) == {"empathy", "helpfulness", "safety"}
    assert Rating.objects.count() == 0


def test_the_api_returns_the_first_result_to_a_repeated_submit(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation-api:submit", kwargs={"item_id": setting["item"]})
    body = {**scores(), "active_seconds": 1, "submission_id": str(uuid.uuid4())}
    first = client.post(url, json.dumps(body), content_type="application/json")
    second = client.post(url, json.dumps({**body, "content": 0}), content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Rating.objects.count() == 1


def test_the_page_form_submit_is_stored_once_when_posted_twice(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation:item", kwargs={"item_id": setting["item"]})
    body = {**scores(), "submission_id": str(uuid.uuid4()), "active_seconds": "4"}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    assert Rating.objects.count() == 1


def test_the_page_shows_invalid_scores_and_keeps_what_was_chosen(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation:item", kwargs={"item_id": setting["item"]})
    response = client.post(
        url, {"content": "2", "empathy": "7", "submission_id": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "7 is out of range" in text
    assert 'name="content" value="2" checked' in text
    assert Rating.objects.count() == 0


def test_a_closed_study_refuses_the_pages_submit_with_a_message(client, setting):
    from annotation.services import study_status_set

    study_status_set(study=setting["world"].study, status="closed")
    client.force_login(setting["owner"].user)
    url = reverse("annotation:item", kwargs={"item_id": setting["item"]})
    response = client.post(url, {**scores(), "submission_id": str(uuid.uuid4())})
    assert response.status_code == 409
    assert "This study is closed" in response.content.decode()
    assert Rating.objects.count() == 0


def test_model_and_dataset_text_is_shown_as_text(client, setting):
    from generation.models import Response

    item = Assignment.objects.get(item__public_id=setting["item"]).item
    Response.objects.filter(pk=item.response_id).update(text="<script>alert(1)</script>")
    client.force_login(setting["owner"].user)
    page = client.get(reverse("annotation:item", kwargs={"item_id": setting["item"]})).content
    assert b"<script>alert(1)</script>" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The dataset's context holds "<b>很累</b>" too.
    assert "&lt;b&gt;很累&lt;/b&gt;".encode() in page
