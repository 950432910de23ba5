"""The pairwise study in the portal and the API: who may reach what, what a pair's page
and answers hold (the annotator's own sides, nothing of a system, nothing of the draw),
votes through the form and the API, refusals that store nothing."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from annotation.models import Assignment, PairVote
from annotation.services import assignment_next, study_status_set
from annotation.services.pair_studies import study_pairwise_create
from generation.models import Response, System
from tests.support.factories import AdminFactory, AnnotatorFactory, SampleFactory
from tests.support.studies import study_world

pytestmark = pytest.mark.django_db

SECRETS = {"pairwise-hidden-alpha": 876_541, "pairwise-hidden-beta": 876_542}


@pytest.fixture
def setting(db):
    world = study_world(samples=2, systems=2, raters=3, pairwise=True)
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


def vote_body(**overrides) -> dict:
    return {
        "overall": "left", "empathy": "right", "active_seconds": 3,
        "submission_id": str(uuid.uuid4()), **overrides,
    }  # fmt: skip


# (method, url name, kwargs, body, api) → status per role.
# ruff: noqa: E501 (one line per endpoint reads as the table it is)
ENDPOINTS = [
    ("get", "annotation:item", {"item_id": "item"}, None, False, {"admin": 403, "owner": 200, "other": 404, "anonymous": 302}),
    ("post", "annotation:vote", {"item_id": "item"}, "vote", False, {"admin": 403, "owner": 302, "other": 404, "anonymous": 302}),
    ("get", "annotation:ratings", {"study_id": "study"}, None, False, {"admin": 403, "owner": 200, "other": 200, "anonymous": 302}),
    ("get", "annotation-api:item", {"item_id": "item"}, None, True, {"admin": 403, "owner": 200, "other": 404, "anonymous": 403}),
    ("put", "annotation-api:vote-draft", {"item_id": "item"}, {"overall": "tie", "active_seconds": 2}, True, {"admin": 403, "owner": 200, "other": 404, "anonymous": 403}),
    ("post", "annotation-api:vote", {"item_id": "item"}, "vote", True, {"admin": 403, "owner": 201, "other": 404, "anonymous": 403}),
    ("post", "annotation-api:skip", {"item_id": "item"}, {"reason": "不熟悉"}, True, {"admin": 403, "owner": 200, "other": 404, "anonymous": 403}),
    ("get", "annotation-api:ratings", {"study_id": "study"}, None, True, {"admin": 403, "owner": 200, "other": 200, "anonymous": 403}),
]  # fmt: skip
ROLES = ["admin", "owner", "other", "anonymous"]


def call(client, setting, method, name, kwargs, body, *, api):
    url = reverse(name, kwargs={key: setting[value] for key, value in kwargs.items()})
    if body == "vote":
        body = vote_body()
    if api:
        payload = json.dumps(body) if body is not None else None
        return getattr(client, method)(url, payload, content_type="application/json")
    return getattr(client, method)(url, body or {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "name", "kwargs", "body", "api", "expected"), ENDPOINTS)
def test_role_matrix(client, setting, role, method, name, kwargs, body, api, expected):
    if role == "admin":
        client.force_login(setting["admin"])
    elif role in ("owner", "other"):
        client.force_login(setting[role].user)
    response = call(client, setting, method, name, kwargs, body, api=api)
    assert response.status_code == expected[role], response.content
    if role == "other":
        # Someone else's pair is as if it did not exist, and nothing of it changed.
        assert not PairVote.objects.exists()
        assert Assignment.objects.get(item__public_id=setting["item"]).status == "leased"


def test_the_page_and_the_api_show_the_owners_sides_and_nothing_of_the_draw(client, setting):
    client.force_login(setting["owner"].user)
    assignment = Assignment.objects.select_related("item__response", "item__other_response").get(
        annotator=setting["owner"]
    )
    item = assignment.item
    texts = (item.response.text, item.other_response.text)
    left, right = texts if assignment.response_on_left else texts[::-1]
    page = client.get(reverse("annotation:item", kwargs={"item_id": setting["item"]}))
    html = page.content.decode()
    assert html.index(left) < html.index(right)
    assert 'id="left-text">' + left in html
    answer = client.get(reverse("annotation-api:item", kwargs={"item_id": setting["item"]})).json()
    assert (answer["kind"], answer["left_text"], answer["right_text"]) == ("pairwise", left, right)
    assert answer["response_text"] == ""
    for text in (html, json.dumps(answer)):
        assert "response_on_left" not in text
        assert "other_response" not in text


def test_a_vote_through_the_api_is_stored_once_and_read_back(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation-api:vote", kwargs={"item_id": setting["item"]})
    body = vote_body(comment="左边更温暖")
    first = client.post(url, json.dumps(body), content_type="application/json")
    second = client.post(
        url, json.dumps({**body, "overall": "right"}), content_type="application/json"
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert first.json()["overall"] == "left"
    assert PairVote.objects.count() == 1
    item = client.get(reverse("annotation-api:item", kwargs={"item_id": setting["item"]})).json()
    assert item["vote"]["overall"] == "left"
    assert item["vote"]["empathy"] == "right"
    mine = client.get(
        reverse("annotation-api:ratings", kwargs={"study_id": setting["study"]})
    ).json()
    assert mine["pairwise"] is True
    assert [vote["overall"] for vote in mine["votes"]] == ["left"]


@pytest.mark.parametrize(
    "bad",
    [
        {"overall": "first"},
        {"overall": None},
        {"empathy": "2"},
        {"active_seconds": -1},
        {"submission_id": "x"},
    ],
)
def test_the_api_refuses_a_bad_vote_with_its_field_and_stores_nothing(client, setting, bad):
    client.force_login(setting["owner"].user)
    url = reverse("annotation-api:vote", kwargs={"item_id": setting["item"]})
    response = client.post(url, json.dumps(vote_body(**bad)), content_type="application/json")
    assert response.status_code == 400
    assert next(iter(bad)) in response.json()
    assert not PairVote.objects.exists()


def test_scores_sent_to_a_pair_are_refused_and_a_vote_to_a_rating_item_too(client, setting):
    client.force_login(setting["owner"].user)
    scores = {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1}
    body = {**scores, "active_seconds": 1, "submission_id": str(uuid.uuid4())}
    url = reverse("annotation-api:submit", kwargs={"item_id": setting["item"]})
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 409
    draft = reverse("annotation-api:draft", kwargs={"item_id": setting["item"]})
    refused = client.put(
        draft, json.dumps({"content": 1, "active_seconds": 1}), content_type="application/json"
    )
    assert refused.status_code == 409
    single = study_world(samples=1, systems=1, raters=1)
    rated = assignment_next(annotator=setting["owner"], study=single.study).item.public_id
    url = reverse("annotation-api:vote", kwargs={"item_id": rated})
    assert (
        client.post(url, json.dumps(vote_body()), content_type="application/json").status_code
        == 409
    )
    assert not PairVote.objects.exists()


def test_the_form_keeps_the_choices_when_the_overall_one_is_missing(client, setting):
    client.force_login(setting["owner"].user)
    url = reverse("annotation:vote", kwargs={"item_id": setting["item"]})
    response = client.post(url, {"empathy": "right", "submission_id": str(uuid.uuid4())})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="empathy" value="right" checked' in html
    assert "choose the better answer" in html
    assert not PairVote.objects.exists()
    posted = {"overall": "both_bad", "submission_id": str(uuid.uuid4()), "active_seconds": "2"}
    assert client.post(url, posted).status_code == 302
    assert client.post(url, posted).status_code == 302
    assert PairVote.objects.get().overall == "both_bad"
    page = client.get(reverse("annotation:item", kwargs={"item_id": setting["item"]}))
    assert "都不好 · Both are bad" in page.content.decode()
    listed = client.get(reverse("annotation:ratings", kwargs={"study_id": setting["study"]}))
    assert "都不好" in listed.content.decode()


def test_no_page_or_answer_of_a_pairwise_flow_names_a_system(client, db):
    systems = [
        System.objects.create(
            pk=pk, name=name, kind=System.Kind.HF_LOCAL, checkpoint=f"/srv/{name}-ckpt"
        )
        for name, pk in SECRETS.items()
    ]
    responses = []
    for number in range(4):
        sample = SampleFactory()
        responses += [
            Response.objects.create(
                pk=654_000 + 10 * number + index,
                sample=sample,
                system=system,
                text=f"我明白。({number}-{index})",
            )
            for index, system in enumerate(systems)
        ]
    study = study_pairwise_create(name="pairwise-hidden-alpha-vs-beta", responses=responses)
    study = study_status_set(study=study, status="open")
    annotator = AnnotatorFactory()
    client.force_login(annotator.user)
    seen = []

    def visit(method, url, body=None, *, api=False):
        if api:
            answer = getattr(client, method)(
                url, None if body is None else json.dumps(body), content_type="application/json"
            )
        else:
            answer = getattr(client, method)(url, body or {})
        headers = "\n".join(f"{key}: {value}" for key, value in answer.headers.items())
        seen.append((url, answer.content.decode() + headers))
        return answer

    for number in range(4):
        started = visit("get", reverse("annotation:next", kwargs={"study_id": study.public_id}))
        item_url = started["Location"]
        visit("get", item_url)
        item_id = item_url.rstrip("/").rsplit("/", 1)[-1]
        visit("get", reverse("annotation-api:item", kwargs={"item_id": item_id}), api=True)
        visit(
            "put",
            reverse("annotation-api:vote-draft", kwargs={"item_id": item_id}),
            {"overall": "tie", "active_seconds": 1},
            api=True,
        )
        if number % 2:
            visit(
                "post",
                reverse("annotation-api:vote", kwargs={"item_id": item_id}),
                vote_body(),
                api=True,
            )
        else:
            visit("post", reverse("annotation:vote", kwargs={"item_id": item_id}), vote_body())
        visit("get", item_url)
    visit("get", reverse("annotation:ratings", kwargs={"study_id": study.public_id}))
    visit("get", reverse("annotation-api:ratings", kwargs={"study_id": study.public_id}), api=True)
    visit("get", reverse("annotation-api:stats"), api=True)
    visit("get", reverse("annotation:portal"))
    forbidden = ["hf_local", "alpha-vs-beta", *SECRETS, *(str(pk) for pk in SECRETS.values())]
    forbidden += ["-ckpt", *(str(pk) for pk in Response.objects.values_list("pk", flat=True))]
    assert PairVote.objects.count() == 4
    for url, text in seen:
        for secret in forbidden:
            assert secret not in url, f"{secret!r} in the URL {url}"
            assert secret not in text, f"{secret!r} in the answer to {url}"
