"""The Django admin pages for the generation models, for each role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import AdminFactory, SampleFactory, SystemFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("admin:generation_dataset_changelist", "?q=dataset&source_format__exact=soulchat"),
    ("admin:generation_sample_changelist", "?q=睡&split__exact=test"),
    ("admin:generation_system_changelist", "?q=system&kind__exact=imported"),
    ("admin:generation_generationjob_changelist", "?status__exact=queued"),
    ("admin:generation_response_changelist", "?q=x&context_truncated__exact=0"),
]


@pytest.fixture
def sample():
    SystemFactory()
    return SampleFactory()


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_staff_can_list_search_and_filter(client, sample, name, query):
    client.force_login(AdminFactory())
    response = client.get(reverse(name) + query)
    assert response.status_code == 200


def test_sample_search_finds_by_reference_text(client, sample):
    client.force_login(AdminFactory())
    response = client.get(reverse("admin:generation_sample_changelist") + "?q=辛苦")
    assert sample.source_id in response.content.decode()
    response = client.get(reverse("admin:generation_sample_changelist") + "?q=不存在的词")
    assert sample.source_id not in response.content.decode()


@pytest.mark.parametrize("role", ["anonymous", "annotator"])
@pytest.mark.parametrize(("name", "query"), PAGES)
def test_non_staff_are_sent_to_the_login_page(client, sample, role, name, query):
    if role == "annotator":
        client.force_login(UserFactory())
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_sample_text_is_escaped_in_the_admin(client):
    sample = SampleFactory(reference="<script>alert(1)</script>")
    client.force_login(AdminFactory())
    response = client.get(reverse("admin:generation_sample_change", args=[sample.pk]))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_the_home_page_links_to_the_administration(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("admin:index").encode() in response.content
