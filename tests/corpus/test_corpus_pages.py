"""The corpus build's pages in the admin: its statistics and the review of what was set
aside, with the markers highlighted."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from corpus.models import CorpusBuild, CorpusRewrite
from corpus.services import CorpusRequest, corpus_build_create, corpus_build_run
from generation.models import Sample
from tests.support.factories import UserFactory
from tests.support.rewriter import qa_line, write_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def build(tmp_path, server, rewriter) -> CorpusBuild:
    lines = [
        qa_line("q1", "good~1", topic="情绪"), qa_line("q2", "short~2"), qa_line("q3", "crisis~3"),
        qa_line("q4", "phone~4"), qa_line("q5", "copy"),
    ]  # fmt: skip
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy",
                            name="built")  # fmt: skip
    return corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)


def test_the_statistics_page_shows_the_counts_and_the_charts(admin_client, build):
    page = admin_client.get(reverse("admin:corpus_corpusbuild_statistics", args=[build.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    counts = dict(re.findall(r"<tr><td>(?:&emsp;)?([^<]+)</td><td class=\"number\">([^<]+)</td>",
                             html))  # fmt: skip
    assert counts["input answers"] == "5"
    assert counts["accepted into the corpus"] == "1"
    assert counts["rejected by the checks"] == "1"
    assert counts["too_few_rounds"] == "1"
    assert counts["set aside for markers"] == "2"
    assert counts["awaiting review"] == "2"
    assert counts["duplicates removed (exact)"] == "1"
    assert counts["cost estimate"].endswith("(all records: " + counts["cost estimate"].split()[0]
                                            + ")")  # fmt: skip
    assert html.count("<figure><svg") == 4  # rejections, rounds, topics, words
    charts = html[html.index('<div class="corpus-charts">') :]
    assert "rounds per accepted dialogue" in charts
    assert "<script" not in charts
    assert "2 dialogues await review" in html


def test_the_build_page_links_its_pages_and_shows_the_cost(admin_client, build):
    page = admin_client.get(reverse("admin:corpus_corpusbuild_change", args=[build.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "review (2 waiting)" in html
    assert "USD so far" in html
    assert 'value="100"' in html  # the progress bar is full
    listing = admin_client.get(reverse("admin:corpus_corpusbuild_changelist"))
    assert "built" in listing.content.decode()


def test_a_reviewer_sees_the_markers_and_decides(admin_client, admin_user, build):
    url = reverse("admin:corpus_corpusbuild_review", args=[build.pk])
    html = admin_client.get(url).content.decode()
    assert "2 waiting, 0 decided" in html
    assert '<mark title="跳楼">跳楼</mark>' in html
    assert '<mark title="我是">我是</mark>' in html
    assert '<mark title="phone number">13812345678</mark>' in html
    crisis = build.rewrites.get(source_id="q3#1")
    response = admin_client.post(url, {"rewrite": crisis.pk, "decision": "accept",
                                       "note": "kept"}, follow=True)  # fmt: skip
    assert "Review of q3#1: accepted" in response.content.decode()
    crisis.refresh_from_db()
    assert (crisis.review, crisis.reviewed_by, crisis.review_note) == ("accepted", admin_user,
                                                                       "kept")  # fmt: skip
    assert Sample.objects.filter(dataset__name="built", dialogue_id="q3#1").count() == 8

    # The same form sent twice (a double click) is refused with a message, not twice done.
    again = admin_client.post(url, {"rewrite": crisis.pk, "decision": "reject"}, follow=True)
    assert "not awaiting review: it is accepted" in again.content.decode()
    crisis.refresh_from_db()
    assert crisis.status == CorpusRewrite.Status.ACCEPTED
    html = admin_client.get(url).content.decode()
    assert "1 waiting, 1 decided" in html
    assert "q3#1" not in html


def test_review_needs_the_change_permission_and_staff(client, build):
    url = reverse("admin:corpus_corpusbuild_review", args=[build.pk])
    annotator = UserFactory()
    client.force_login(annotator)
    assert client.get(url).status_code == 302  # to the admin login: not staff
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_corpusbuild"))
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    crisis = build.rewrites.get(source_id="q3#1")
    assert client.post(url, {"rewrite": crisis.pk, "decision": "accept"}).status_code == 403
    crisis.refresh_from_db()
    assert crisis.status == CorpusRewrite.Status.QUARANTINED


def test_a_rewrite_of_another_build_cannot_be_decided_through_this_one(
    admin_client, build, tmp_path, rewriter
):
    other_file = tmp_path / "other"
    other_file.mkdir()
    request = CorpusRequest(path=write_input(other_file, [qa_line("x", "crisis~9")]),
                            rewriter=rewriter, prompt="smile", name="other")  # fmt: skip
    other = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    foreign = other.rewrites.get()
    url = reverse("admin:corpus_corpusbuild_review", args=[build.pk])
    assert admin_client.post(url, {"rewrite": foreign.pk, "decision": "accept"}).status_code == 404
    assert admin_client.post(url, {"rewrite": "x", "decision": "accept"}).status_code == 404


def test_the_page_of_a_build_in_progress_reloads_itself(admin_client, tmp_path, rewriter):
    request = CorpusRequest(path=write_input(tmp_path, [qa_line("q1", "good~1")]),
                            rewriter=rewriter, prompt="empathy")  # fmt: skip
    queued = corpus_build_create(request=request, enqueue=False)
    page = admin_client.get(reverse("admin:corpus_corpusbuild_change", args=[queued.pk]))
    assert b'<meta http-equiv="refresh" content="10">' in page.content
    assert b"0/1 records" in page.content
    finished = corpus_build_run(build_id=queued.pk)
    page = admin_client.get(reverse("admin:corpus_corpusbuild_change", args=[finished.pk]))
    assert b'http-equiv="refresh"' not in page.content
