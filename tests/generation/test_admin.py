"""The Django admin pages for the generation models, for each role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support.factories import AdminFactory, SampleFactory, SystemFactory, UserFactory

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


def test_the_home_page_links_admins_to_the_administration_and_others_to_login(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login").encode() in response.content
    assert b'href="/admin/"' not in response.content
    client.force_login(AdminFactory())
    assert b'href="/admin/"' in client.get("/").content


def test_a_job_page_shows_progress_and_failure_reasons_as_text(client):
    from generation.models import GenerationFailure, GenerationJob

    sample = SampleFactory()
    job = GenerationJob.objects.create(
        system=SystemFactory(), progress_total=2, progress_done=1, status="failed"
    )
    GenerationFailure.objects.create(job=job, sample=sample, reason="HTTP 500: <b>boom</b>")
    url = reverse("admin:generation_generationjob_change", args=[job.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 302
    client.force_login(AdminFactory())
    page = client.get(url).content.decode()
    assert "1/2 (50%)" in page
    assert "HTTP 500: &lt;b&gt;boom&lt;/b&gt;" in page


def test_admin_actions_cancel_and_retry_jobs(client, django_capture_on_commit_callbacks, tmp_path):
    from generation.models import GenerationJob
    from generation.services import generation_job_create

    sample = SampleFactory()
    system = SystemFactory(responses_file=str(tmp_path / "absent.jsonl"))
    job = generation_job_create(system=system, samples=type(sample).objects.all(), enqueue=False)
    client.force_login(AdminFactory())
    url = reverse("admin:generation_generationjob_changelist")
    client.post(url, {"action": "cancel", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "retry", "_selected_action": [job.pk]}, follow=True)
    assert "1 job(s) queued again." in response.content.decode()
    job.refresh_from_db()
    # Run in-process (eager tasks): the file is absent, so the job fails with that reason.
    assert job.status == GenerationJob.Status.FAILED
    assert "responses file not found" in job.error
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url, {"action": "retry", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.QUEUED
    response = client.post(url, {"action": "retry", "_selected_action": [job.pk]}, follow=True)
    assert "0 job(s) queued again." in response.content.decode()
    assert "only a failed or cancelled job is retried" in response.content.decode()
