"""Blind means blind: no system name, id, checkpoint path or kind reaches an annotator,
in any page, API answer, header or URL of the whole flow."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from annotation.services import StudySettings, study_create, study_status_set
from generation.models import Response, System
from tests.support.factories import AnnotatorFactory, SampleFactory

pytestmark = pytest.mark.django_db

SECRETS_OF = {
    "soulchat-secret-name": {"id": 987_651, "checkpoint": "/srv/weird-ckpts/zz_hidden_soulchat_v9"},
    "mechat-hidden-lora": {"id": 987_652, "checkpoint": "/opt/Models/ΔΔ-chatglm-base-42"},
}


@pytest.fixture
def blind_study(db):
    systems = [
        System.objects.create(
            pk=secret["id"],
            name=name,
            kind=System.Kind.HF_LOCAL,
            checkpoint=secret["checkpoint"],
            adapter=secret["checkpoint"] + "-adapter",
        )
        for name, secret in SECRETS_OF.items()
    ]
    # The human reference is a blind system too: nothing may tell its items apart.
    reference = System.objects.create(
        pk=987_653, name="human-reference", kind=System.Kind.REFERENCE
    )
    responses = []
    for number in range(3):
        sample = SampleFactory()
        responses += [
            Response.objects.create(
                pk=555_000 + 10 * number + index,
                sample=sample,
                system=system,
                text=f"我听到了你的难过。({number})",
            )
            for index, system in enumerate([*systems, reference])
        ]
    study = study_create(
        name="soulchat-secret-name-vs-mechat-hidden-lora",
        responses=responses,
        settings=StudySettings(title="Counselling replies, spring round"),
    )
    return study_status_set(study=study, status="open")


def forbidden_strings() -> list[str]:
    strings = ["hf_local", "openai_api", "imported", "soulchat-secret-name-vs"]
    strings += ["human-reference", "987653", "counsellor reply", "ceiling"]
    for name, secret in SECRETS_OF.items():
        strings += [name, str(secret["id"]), secret["checkpoint"], "weird-ckpts", "ΔΔ"]
    strings += [str(pk) for pk in Response.objects.values_list("pk", flat=True)]
    return strings


def exposed(response) -> str:
    """Everything the browser or a client gets: body, headers, the URL it is sent to."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return response.content.decode() + "\n" + headers


def test_no_annotator_page_or_answer_names_a_system(client, blind_study):
    annotator = AnnotatorFactory()
    client.force_login(annotator.user)
    seen: list[tuple[str, str]] = []

    def visit(method: str, url: str, body=None, *, api: bool = False):
        if api:
            payload = None if body is None else json.dumps(body)
            response = getattr(client, method)(url, payload, content_type="application/json")
        else:
            response = getattr(client, method)(url, body or {})
        seen.append((url, exposed(response)))
        return response

    visit("get", reverse("annotation:portal"))
    for round_number in range(6):
        started = visit(
            "get", reverse("annotation:next", kwargs={"study_id": blind_study.public_id})
        )
        item_url = started["Location"]
        page = visit("get", item_url)
        assert page.status_code == 200
        item_id = item_url.rstrip("/").rsplit("/", 1)[-1]
        visit("get", reverse("annotation-api:item", kwargs={"item_id": item_id}), api=True)
        visit(
            "put",
            reverse("annotation-api:draft", kwargs={"item_id": item_id}),
            {"content": 1, "active_seconds": 2},
            api=True,
        )
        body = {
            "content": 2, "empathy": 2, "helpfulness": 1, "safety": 1,
            "active_seconds": 3, "submission_id": str(uuid.uuid4()),
        }  # fmt: skip
        if round_number % 3 == 2:
            visit(
                "post",
                reverse("annotation-api:skip", kwargs={"item_id": item_id}),
                {"reason": "x"},
                api=True,
            )
        elif round_number % 2:
            visit(
                "post",
                reverse("annotation-api:submit", kwargs={"item_id": item_id}),
                body,
                api=True,
            )
        else:
            visit("post", item_url, body)
        visit("get", item_url)
    visit(
        "post", reverse("annotation-api:next", kwargs={"study_id": blind_study.public_id}), api=True
    )
    visit("get", reverse("annotation-api:stats"), api=True)
    visit("get", reverse("annotation:portal"))
    visit("get", reverse("api-schema"))
    # The language switch and the script's catalog, then the portal in Chinese.
    visit("get", reverse("javascript-catalog"))
    visit("post", reverse("set_language"), {"language": "zh-hans", "next": "/portal/"})
    visit("get", reverse("annotation:portal"))

    assert len(seen) > 40
    for url, text in seen:
        for secret in forbidden_strings():
            assert secret not in url, f"{secret!r} in the URL {url}"
            assert secret not in text, f"{secret!r} in the answer to {url}"


def test_public_ids_are_random_and_items_are_not_in_creation_order(blind_study):
    items = list(blind_study.items.order_by("pk"))
    ids = [item.public_id for item in items]
    assert len(set(ids)) == len(ids)
    assert all(len(public_id) >= 16 for public_id in ids)
    assert ids != sorted(ids)
    assert not any(str(item.pk) == public_id for item, public_id in zip(items, ids, strict=True))


def test_a_study_title_that_names_a_system_is_refused(db):
    from annotation.services import StudyInvalid

    system = System.objects.create(name="soulchat-secret-name", kind="imported", responses_file="x")
    response = Response.objects.create(sample=SampleFactory(), system=system, text="好的")
    with pytest.raises(StudyInvalid, match="names system"):
        study_create(
            name="s",
            responses=[response],
            settings=StudySettings(title="Soulchat-Secret-Name round"),
        )
