"""The study page's tools: a button for each state the study may go to next, links to
its dashboard, items, pay and screening review; only by POST, only for staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import Study
from tests.support.factories import AdminFactory
from tests.support.runs import run_world
from tests.support.studies import study_world

pytestmark = pytest.mark.django_db


def page(client, study: Study) -> str:
    return client.get(reverse("admin:annotation_study_change", args=[study.pk])).content.decode()


def test_an_open_study_offers_pause_and_close_and_its_links(client):
    world = run_world()
    study = world.run.study
    client.force_login(AdminFactory())
    html = page(client, study)
    assert 'value="paused"' in html
    assert 'value="closed"' in html
    assert 'value="open"' not in html
    assert reverse("admin:reports_evalrun_dashboard", args=[world.run.pk]) in html
    assert f"?study__id__exact={study.pk}" in html
    assert reverse("admin:annotation_study_screening", args=[study.pk]) in html
    assert 'href="#pay"' in html


def test_the_buttons_take_the_study_through_its_states(client):
    study = study_world().study
    client.force_login(AdminFactory())
    url = reverse("admin:annotation_study_status", args=[study.pk])
    answer = client.post(url, {"status": "paused"})
    assert answer.status_code == 302
    study.refresh_from_db()
    assert study.status == Study.Status.PAUSED
    assert 'value="open"' in page(client, study)
    client.post(url, {"status": "closed"})
    study.refresh_from_db()
    assert study.status == Study.Status.CLOSED
    html = page(client, study)
    assert 'name="status"' not in html  # a closed study stays closed


def test_a_refused_change_is_a_message_not_an_error(client):
    study = study_world().study
    client.force_login(AdminFactory())
    url = reverse("admin:annotation_study_status", args=[study.pk])
    client.post(url, {"status": "closed"})
    answer = client.post(url, {"status": "open"}, follow=True)
    assert answer.status_code == 200
    assert "a closed study cannot become open" in answer.content.decode()
    answer = client.post(url, {"status": "nonsense"}, follow=True)
    assert "is not one of" in answer.content.decode()


def test_status_changes_are_post_only_and_staff_only(client):
    study = study_world().study
    url = reverse("admin:annotation_study_status", args=[study.pk])
    assert client.post(url, {"status": "paused"}).status_code == 302  # to the login page
    study.refresh_from_db()
    assert study.status == Study.Status.OPEN
    client.force_login(AdminFactory())
    assert client.get(url).status_code == 405
