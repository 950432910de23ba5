"""A study's title is what annotators see: it never names a system under study, when the
study is made or whenever it is changed, through the services and through the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import Study
from annotation.services import StudyInvalid, study_update
from generation.models import System
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.studies import rate_next, study_world

pytestmark = pytest.mark.django_db


def change_form(study: Study, **values) -> dict:
    fields = {
        "name": study.name, "title": study.title, "raters_per_item": study.raters_per_item,
        "pay_per_item": str(study.pay_per_item), "currency": study.currency,
        "minimum_hourly_wage": str(study.minimum_hourly_wage),
        "lease_minutes": study.lease_minutes, "rubric_version": study.rubric_version,
        "too_fast_seconds": study.too_fast_seconds,
    }  # fmt: skip
    return {**fields, **values}


@pytest.mark.parametrize("revealing", ["name", "model_name", "checkpoint"])
def test_a_rename_that_names_a_system_is_refused_and_changes_nothing(revealing):
    world = study_world(system_names=["soulchat-7b", "base-model"])
    System.objects.filter(pk=world.systems[1].pk).update(
        model_name="gpt-3.5-turbo", checkpoint="/models/ChatGLM-6B"
    )
    words = {"name": "SoulChat-7B", "model_name": "GPT-3.5-Turbo", "checkpoint": "chatglm-6b"}
    system = world.systems[0] if revealing == "name" else world.systems[1]
    with pytest.raises(StudyInvalid, match=f"names system '{system.name}'") as refusal:
        study_update(study=world.study, fields={"title": f"Rate {words[revealing]} answers"})
    assert set(refusal.value.errors) == {"title"}
    world.study.refresh_from_db()
    assert world.study.title == "Counselling responses"


def test_a_harmless_rename_reaches_the_annotators():
    world = study_world()
    study = study_update(study=world.study, fields={"title": "第二轮：咨询回复"})
    assert Study.objects.get(pk=study.pk).title == "第二轮：咨询回复"


def test_terms_annotators_work_under_stay_once_items_were_handed_out():
    world = study_world()
    rate_next(AnnotatorFactory(), world.study)
    with pytest.raises(StudyInvalid, match="fixed once items were handed out"):
        study_update(study=world.study, fields={"pay_per_item": "0.5", "title": "New"})
    world.study.refresh_from_db()
    assert (str(world.study.pay_per_item), world.study.title) == ("0.4180", "Counselling responses")
    # What annotators were not promised can still change.
    assert study_update(study=world.study, fields={"lease_minutes": 45}).lease_minutes == 45


def test_the_admin_change_form_refuses_a_title_naming_a_system(client):
    world = study_world(system_names=["mechat", "other"])
    client.force_login(AdminFactory())
    url = reverse("admin:annotation_study_change", args=[world.study.pk])
    page = client.post(url, change_form(world.study, title="MeChat vs the rest"))
    assert page.status_code == 200
    assert "names system &#x27;mechat&#x27;" in page.content.decode()
    world.study.refresh_from_db()
    assert world.study.title == "Counselling responses"

    saved = client.post(url, change_form(world.study, title="Round two"))
    assert saved.status_code == 302
    world.study.refresh_from_db()
    assert world.study.title == "Round two"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": "SoulChat answers"}, "names system &#x27;soulchat&#x27;"),
        ({"currency": "U$"}, "is not a three-letter code"),
    ],
)
def test_the_admin_add_form_shows_a_refusal_on_its_field_instead_of_an_error_page(
    client, values, message
):
    world = study_world(samples=2, system_names=["soulchat", "base"], open_it=False)
    client.force_login(AdminFactory())
    page = client.post(
        reverse("admin:annotation_study_add"),
        {
            **change_form(world.study, name="round-x", **values),
            "dataset": world.responses[0].sample.dataset.pk, "split": "test",
            "systems": [system.pk for system in world.systems], "samples": 2, "seed": 0,
        },
    )  # fmt: skip
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not Study.objects.filter(name="round-x").exists()
