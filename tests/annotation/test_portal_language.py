"""The portal in Simplified Chinese and English: the browser's language by default, a
switch that sticks, `lang` set right, every message translated, money and time written
for people."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from annotation.services import assignment_next
from annotation.templatetags.portal import hours_minutes, money, state_label
from tests.support.factories import AnnotatorFactory
from tests.support.paths import REPO_ROOT
from tests.support.studies import study_world

LOCALE = REPO_ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.fixture
def leased(db):
    world = study_world(samples=2, systems=2, raters=2)
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.study)
    return annotator, assignment


def test_a_chinese_browser_gets_the_portal_in_chinese(client, leased):
    annotator, _ = leased
    client.force_login(annotator.user)
    html = client.get(reverse("annotation:portal"), **CHINESE).content.decode()
    assert html_lang(html) == "zh-hans"
    assert "我的研究" in html
    assert "退出登录" in html
    assert "My studies" not in html


def test_an_english_browser_gets_it_in_english(client, leased):
    annotator, _ = leased
    client.force_login(annotator.user)
    html = client.get(reverse("annotation:portal"), **ENGLISH).content.decode()
    assert html_lang(html) == "en"
    assert "My studies" in html


def test_a_refusal_from_a_service_reaches_a_chinese_expert_in_chinese(client, leased):
    import uuid

    from annotation.models import Study

    annotator, assignment = leased
    Study.objects.filter(pk=assignment.item.study_id).update(status="closed")
    client.force_login(annotator.user)
    url = reverse("annotation:item", kwargs={"item_id": assignment.item.public_id})
    body = {"content": 1, "empathy": 1, "helpfulness": 1, "safety": 1,
            "submission_id": str(uuid.uuid4())}  # fmt: skip
    html = client.post(url, body, **CHINESE).content.decode()
    assert "这项研究已结束，不再接受评分。" in html
    assert "This study is closed" not in html


def test_the_rating_page_speaks_chinese_and_keeps_the_rubric_bilingual(client, leased):
    annotator, assignment = leased
    client.force_login(annotator.user)
    url = reverse("annotation:item", kwargs={"item_id": assignment.item.public_id})
    html = client.get(url, **CHINESE).content.decode()
    assert "提交评分" in html
    assert "跳过此条目" in html
    assert "Ctrl" in html  # every shortcut in the hint
    assert "Empathy" in html  # the rubric's English stays beside its Chinese
    assert reverse("javascript-catalog") in html


def test_the_switch_keeps_the_chosen_language_over_the_browsers(client, leased):
    annotator, _ = leased
    client.force_login(annotator.user)
    portal = reverse("annotation:portal")
    answer = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": portal}, **ENGLISH
    )
    assert answer.status_code == 302
    assert answer.url == portal
    html = client.get(portal, **ENGLISH).content.decode()
    assert html_lang(html) == "zh-hans"
    client.post(reverse("set_language"), {"language": "en", "next": portal}, **CHINESE)
    assert html_lang(client.get(portal, **CHINESE).content.decode()) == "en"


def test_the_switch_never_sends_anyone_to_another_site(client, db):
    answer = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "https://evil.example/"}
    )
    assert "evil.example" not in answer.get("Location", "")


def test_the_scripts_messages_come_translated(client, db):
    catalog = client.get(reverse("javascript-catalog"), **CHINESE).content.decode()
    assert "Draft saved %s" in catalog
    assert "\\u8349\\u7a3f" in catalog  # 草稿


@pytest.mark.parametrize("name", ["django", "djangojs"])
def test_every_message_is_translated_and_the_compiled_catalog_is_current(name, tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed")
    compiled = tmp_path / f"{name}.mo"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", str(compiled), str(LOCALE / f"{name}.po")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr
    assert compiled.read_bytes() == (LOCALE / f"{name}.mo").read_bytes()


@pytest.mark.parametrize(
    ("seconds", "written"),
    [(None, "–"), (0, "0:00"), (7, "0:00"), (3720, "1:02"), (36000, "10:00")],
)
def test_active_time_reads_as_hours_and_minutes(seconds, written):
    assert hours_minutes(seconds) == written


def test_money_takes_the_currencys_usual_decimals():
    assert money(Decimal("5.434"), "USD") == "5.43 USD"
    assert money(Decimal("5.435"), "CNY") == "5.44 CNY"
    assert money(Decimal("1200.4"), "JPY") == "1200 JPY"
    assert money(None, "USD") == "–"


def test_study_states_are_translated(settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert state_label("open") == "进行中"
        assert state_label("completed") == "已完成"
    with translation.override("en"):
        assert state_label("open") == "open"


@pytest.mark.parametrize("role", ["admin", "annotator", "anonymous"])
def test_the_switch_and_the_catalog_answer_every_role_alike(client, leased, role):
    from tests.support.factories import AdminFactory

    annotator, _ = leased
    if role == "admin":
        client.force_login(AdminFactory())
    elif role == "annotator":
        client.force_login(annotator.user)
    assert client.get(reverse("javascript-catalog"), **CHINESE).status_code == 200
    switched = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert (switched.status_code, switched.url) == (302, "/")
    # Only a POST changes the language: a link cannot switch it for someone.
    client.get(reverse("set_language"), {"language": "en", "next": "/"})
    assert html_lang(client.get("/", follow=True, **ENGLISH).content.decode()) == "zh-hans"
