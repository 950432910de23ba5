"""A response that names its system is held back when the study is built, never reaches
an annotator (page or API) before an admin decides, and afterwards reaches them masked,
as written, or not at all; the review page, its decisions and who may take them."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotation.identity_screen import PLACEHOLDER
from annotation.models import Item, Study
from annotation.selectors import study_progress
from annotation.services import (
    ScreeningInvalid,
    StudySettings,
    assignment_next,
    item_screening_decide,
    rating_submit,
    study_create,
    study_status_set,
)
from generation.models import Response, System
from tests.support.factories import AdminFactory, AnnotatorFactory, SampleFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXTS = {
    "chinese": "我是ChatGLM，很高兴能陪你聊聊。",
    "english": "As an AI language model, I cannot feel what you feel.",
    "own name": "这是 mechat-lora-v2 的回答：先照顾好自己。",
    "clean": "听起来你真的很辛苦，愿意多说说吗？",
}


@pytest.fixture
def screened():
    system = System.objects.create(name="mechat-lora-v2", kind="imported", responses_file="x")
    responses = {
        case: Response.objects.create(sample=SampleFactory(), system=system, text=text)
        for case, text in TEXTS.items()
    }
    study = study_create(
        name="round", responses=list(responses.values()), settings=StudySettings(raters_per_item=1)
    )
    study = study_status_set(study=study, status="open")
    items = {case: Item.objects.get(study=study, response=response)
             for case, response in responses.items()}  # fmt: skip
    return study, items


def test_self_identification_in_chinese_english_or_the_systems_own_name_is_held(screened):
    _, items = screened
    assert {case: item.screening for case, item in items.items()} == {
        "chinese": "held", "english": "held", "own name": "held", "clean": "",
    }  # fmt: skip
    assert [match["pattern"] for match in items["chinese"].identity_matches] == ["ChatGLM"]
    assert items["english"].identity_matches[0]["pattern"] == "as an AI language model"
    assert items["own name"].identity_matches[0]["pattern"] == "mechat-lora-v2"


def rate_everything(annotator, study) -> list[str]:
    """What the annotator is handed, in turn, until nothing is left."""
    handed = []
    while (assignment := assignment_next(annotator=annotator, study=study)) is not None:
        handed.append(assignment.item.public_id)
        rating_submit(
            annotator=annotator, item_public_id=assignment.item.public_id,
            scores={"content": 1, "empathy": 1, "helpfulness": 1, "safety": 1}, comment="",
            active_seconds=30, submission_id=uuid.uuid4(),
        )  # fmt: skip
    return handed


def test_a_held_item_never_reaches_the_portal_or_the_api(screened, client):
    study, items = screened
    annotator = AnnotatorFactory()
    client.force_login(annotator.user)
    seen = []
    while True:
        answer = client.post(reverse("annotation-api:next", kwargs={"study_id": study.public_id}))
        if answer.status_code == 204:
            break
        item = answer.json()
        seen.append(item["public_id"])
        assert "ChatGLM" not in json.dumps(item, ensure_ascii=False)
        client.post(
            reverse("annotation-api:submit", kwargs={"item_id": item["public_id"]}),
            json.dumps({"content": 1, "empathy": 1, "helpfulness": 1, "safety": 1,
                        "active_seconds": 5, "submission_id": str(uuid.uuid4())}),
            content_type="application/json",
        )  # fmt: skip
    assert seen == [items["clean"].public_id]
    for case in ("chinese", "english", "own name"):
        public_id = items[case].public_id
        assert (
            client.get(reverse("annotation-api:item", kwargs={"item_id": public_id})).status_code
            == 404
        )
        assert (
            client.get(reverse("annotation:item", kwargs={"item_id": public_id})).status_code == 404
        )
    page = client.get(reverse("annotation:next", kwargs={"study_id": study.public_id}), follow=True)
    assert "Nothing is left for you" in page.content.decode()


def test_masked_it_is_served_with_a_placeholder_and_the_response_is_untouched(screened, client):
    study, items = screened
    admin = AdminFactory()
    item_screening_decide(item=items["chinese"], decision="mask", by=admin)
    item_screening_decide(item=items["english"], decision="release", by=admin)
    item_screening_decide(item=items["own name"], decision="exclude", by=admin)
    annotator = AnnotatorFactory()
    handed = rate_everything(annotator, study)
    assert set(handed) == {items[case].public_id for case in ("chinese", "english", "clean")}
    client.force_login(annotator.user)
    masked = items["chinese"].public_id
    api = client.get(reverse("annotation-api:item", kwargs={"item_id": masked})).json()
    assert api["response_text"] == f"我是{PLACEHOLDER}，很高兴能陪你聊聊。"
    page = client.get(reverse("annotation:item", kwargs={"item_id": masked})).content.decode()
    assert PLACEHOLDER in page
    assert "ChatGLM" not in page
    assert Response.objects.get(pk=items["chinese"].response_id).text == TEXTS["chinese"]
    released = client.get(
        reverse("annotation-api:item", kwargs={"item_id": items["english"].public_id})
    )
    assert released.json()["response_text"] == TEXTS["english"]
    # Left out: not a slot to fill, so the study can be complete without it.
    assert study_progress(study=study).items == 3


def test_a_decision_stands_and_a_second_one_is_told_so(screened):
    _, items = screened
    item_screening_decide(item=items["chinese"], decision="exclude", by=None)
    with pytest.raises(ScreeningInvalid, match="not awaiting a decision: it is left out"):
        item_screening_decide(item=items["chinese"], decision="mask", by=None)
    with pytest.raises(ScreeningInvalid, match="mask, release or exclude"):
        item_screening_decide(item=items["english"], decision="hide", by=None)
    assert Item.objects.get(pk=items["english"].pk).screening == "held"


def test_the_review_page_highlights_the_match_and_takes_decisions(screened, client):
    study, items = screened
    client.force_login(AdminFactory())
    url = reverse("admin:annotation_study_screening", args=[study.pk])
    page = client.get(url).content.decode()
    assert '<mark title="ChatGLM">ChatGLM</mark>' in page
    assert "3 awaiting a decision" in page
    change = client.get(reverse("admin:annotation_study_change", args=[study.pk])).content.decode()
    assert "3 responses named a system and were held back from annotators" in change
    assert url in change
    answer = client.post(url, {"item": items["chinese"].pk, "decision": "mask"})
    assert answer.status_code == 302
    assert Item.objects.get(pk=items["chinese"].pk).screening == "masked"
    again = client.post(url, {"item": items["chinese"].pk, "decision": "release"}, follow=True)
    assert "not awaiting a decision" in again.content.decode()
    assert client.post(url, {"item": "x", "decision": "mask"}).status_code == 404


def test_the_review_page_is_for_staff_and_decisions_for_those_who_may_change(screened, client):
    study, items = screened
    url = reverse("admin:annotation_study_screening", args=[study.pk])
    assert client.get(url).status_code == 302
    client.force_login(AnnotatorFactory().user)
    assert client.get(url).status_code == 302
    viewer = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_study"))
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"item": items["chinese"].pk, "decision": "mask"}).status_code == 403
    assert Item.objects.get(pk=items["chinese"].pk).screening == "held"


def test_create_study_screens_too_and_says_so(capsys):
    system = System.objects.create(name="plain", kind="imported", responses_file="x")
    sample = SampleFactory()
    Response.objects.create(sample=sample, system=system, text="作为一个AI语言模型，我建议你休息。")
    call_command("create_study", "cli-round", "--dataset", sample.dataset.name,
                 "--systems", "plain")  # fmt: skip
    assert "1 held back" in capsys.readouterr().out
    assert Study.objects.get(name="cli-round").items.get().screening == "held"
