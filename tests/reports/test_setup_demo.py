from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from generation.models import Dataset
from reports.services import DEMO_CORPUS

pytestmark = pytest.mark.django_db


def test_it_installs_demo_users_and_corpus_once(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("setup_demo", stdout=out)
    text = out.getvalue()
    corpus = "\n".join(path.read_text("utf-8") for path in DEMO_CORPUS.glob("*.txt"))
    expected = len(re.findall(r"^心理咨询师：", corpus, flags=re.MULTILINE))
    assert Dataset.objects.get(name="demo-counselling").samples.count() == expected
    assert f"{expected} samples imported" in text
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    annotators = users.filter(annotator__isnull=False)
    assert sorted(annotators.values_list("username", flat=True)) == [
        "annotator1",
        "annotator2",
        "annotator3",
    ]
    assert not annotators.filter(is_staff=True).exists()
    assert users.get(username="annotator1").check_password("souleval-demo")
    assert "annotator3" in text
    assert "http://127.0.0.1:8000/" in text

    out = StringIO()
    call_command("setup_demo", stdout=out)
    assert "already imported" in out.getvalue()
    assert users.count() == 4


def test_it_refuses_without_debug_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as refusal:
        call_command("setup_demo")
    assert "only with DJANGO_DEBUG=true" in str(refusal.value)
    assert get_user_model().objects.count() == 0
    assert Dataset.objects.count() == 0


def test_the_demo_study_opens_once_for_the_demo_annotators(settings):
    from annotation.models import Study
    from generation.models import Response, Sample, System

    settings.DEBUG = True
    call_command("setup_demo", stdout=StringIO())
    system = System.objects.create(name="demo-tiny", kind="imported", responses_file="x")
    test_samples = Sample.objects.filter(dataset__name="demo-counselling", split="test")
    Response.objects.bulk_create(
        Response(sample=sample, system=system, text="嗯。") for sample in test_samples
    )
    out = StringIO()
    call_command("setup_demo", "--study", stdout=out)
    study = Study.objects.get(name="demo-study")
    assert study.status == "open"
    assert study.items.count() == test_samples.count()
    assert f"{test_samples.count()} items, open" in out.getvalue()
    call_command("setup_demo", "--study", stdout=StringIO())
    assert Study.objects.count() == 1
