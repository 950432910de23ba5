"""Every admin add and change page of the project's models answers bad input with a page
(form errors or a message), never a 500: the forms check what the services check, and a
refusal the form could not foresee is shown as a message (common.admin.ServiceModelAdmin).
The autouse fixture of tests/conftest.py fails any request that raised."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from annotation.models import RaterExclusion
from annotation.services import rater_exclude
from tests.support.factories import AdminFactory
from tests.support.runs import rate_all, run_world

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"generation", "corpus", "training", "annotation", "reports"}
# What a careless or hostile admin types into every field.
JUNK = {
    "name": "has spaces, and, commas" * 20, "title": "", "raters_per_item": "-3",
    "pay_per_item": "lots", "currency": "dollars", "minimum_hourly_wage": "∞",
    "lease_minutes": "0", "too_fast_seconds": "-1", "dataset": "999999", "split": "nope",
    "systems": ["999999"], "samples": "0", "seed": "x", "kind": "teapot",
    "checkpoint": "", "decoding": "{not json", "study": "999999", "annotator": "999999",
    "rating": "999999", "reason": "", "email": "not-an-address", "expected_content": "7",
    "response": "999999", "valid_days": "-5", "status": "sideways",
}  # fmt: skip


def _project_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]


def _url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def test_every_add_page_answers_junk_with_a_page(client):
    client.force_login(AdminFactory())
    run_world(with_reference=True)
    seen = 0
    for model, _ in _project_admins():
        page = client.get(_url(model, "add"))
        assert page.status_code in (200, 403), model
        if page.status_code == 403:
            continue
        answer = client.post(_url(model, "add"), JUNK)
        assert answer.status_code in (200, 302), (model, answer.status_code)
        seen += 1
    assert seen >= 4


def test_every_change_page_answers_junk_with_a_page(client):
    client.force_login(AdminFactory())
    world = run_world(with_reference=True)
    rate_all(world)
    rater_exclude(study=world.run.study, annotator=world.annotators[0], reason="test", by=None)
    assert RaterExclusion.objects.exists()
    seen = 0
    for model, _ in _project_admins():
        instance = model._default_manager.order_by("pk").first()
        if instance is None:
            continue
        page = client.get(_url(model, "change", instance.pk))
        assert page.status_code in (200, 403), (model, page.status_code)
        answer = client.post(_url(model, "change", instance.pk), JUNK)
        assert answer.status_code in (200, 302, 403), (model, answer.status_code)
        seen += 1
    assert seen >= 8


def test_a_refusal_the_form_could_not_foresee_is_a_message(client, monkeypatch):
    """A study named meanwhile by someone else: the form passed, the service refuses."""
    from annotation.admin import studies
    from annotation.services import StudyInvalid

    world = run_world()
    client.force_login(AdminFactory())

    def taken(**kwargs):
        raise StudyInvalid({"name": "a study named 'late' already exists"})

    # Stands in for another admin's request committing between this form's check and save.
    monkeypatch.setattr(studies, "study_create", taken)
    answer = client.post(
        reverse("admin:annotation_study_add"),
        {
            "name": "late", "title": "Counselling responses", "raters_per_item": 2,
            "pay_per_item": "0.418", "currency": "USD", "minimum_hourly_wage": "7.12",
            "lease_minutes": 30, "rubric_version": "cehs-1", "too_fast_seconds": 20,
            "dataset": world.dataset.pk, "split": "test",
            "systems": [system.pk for system in world.systems], "seed": 0,
        },
        follow=True,
    )  # fmt: skip
    assert answer.status_code == 200
    assert "Not saved: name: a study named &#x27;late&#x27; already exists" in (
        answer.content.decode()
    )


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("admin:generation_generationjob_changelist", "manage.py run_eval"),
        ("admin:corpus_corpusbuild_changelist", "manage.py build_corpus"),
        ("admin:judging_judgerun_changelist", "manage.py judge RUN --judge SYSTEM"),
    ],
)
def test_an_empty_list_of_command_started_work_says_how_to_start_it(client, url, hint):
    client.force_login(AdminFactory())
    html = client.get(reverse(url)).content.decode()
    assert "None yet." in html
    assert hint in html


def test_the_admin_makes_a_pairwise_study_and_refuses_a_design_it_cannot_deal(client):
    from annotation.models import Study

    world = run_world()
    client.force_login(AdminFactory())
    form = {
        "name": "pairs", "kind": "pairwise", "title": "Counselling responses",
        "raters_per_item": 2, "pay_per_item": "0.418", "currency": "USD",
        "minimum_hourly_wage": "7.12", "lease_minutes": 30, "rubric_version": "cehs-1",
        "too_fast_seconds": 20, "dataset": world.dataset.pk, "split": "test",
        "systems": [system.pk for system in world.systems], "seed": 0, "pairs_per_sample": 5,
    }  # fmt: skip
    refused = client.post(reverse("admin:annotation_study_add"), form)
    assert refused.status_code == 200
    assert "pairs per sample: between 1 and" in refused.content.decode()
    assert not Study.objects.filter(name="pairs").exists()
    made = client.post(reverse("admin:annotation_study_add"), {**form, "pairs_per_sample": 1})
    assert made.status_code == 302
    study = Study.objects.get(name="pairs")
    assert study.is_pairwise
    assert study.items.filter(other_response__isnull=True).count() == 0
    page = client.get(reverse("admin:annotation_study_change", args=[study.pk]))
    assert page.status_code == 200
    assert "pairwise" in page.content.decode()
