"""`run_eval --judge` on the demo: judges served on 127.0.0.1 (tests/support/
judge_server.py) score every response once generation is done, Table 1 gains their
columns in every format, and after the demo's simulated ratings the validation says how
far each judge agrees with the experts: one built to say the opposite of the experts as
disagreeing, one built to say what they say as agreeing."""

from __future__ import annotations

import json
from io import StringIO
from statistics import fmean

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from django.urls import reverse

from annotation.models import Annotator, Study
from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from annotation.selectors.quality import ratings_in_analysis
from annotation.services import rater_exclude
from generation.models import System
from generation.services import system_save
from judging.models import Verdict
from reports.models import EvalRun
from reports.selectors.judging import run_judge_disagreements, run_judge_validation
from reports.selectors.results import results_table
from tests.support.factories import AdminFactory
from tests.support.judge_server import JudgeServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def judges():
    servers = {
        "rule-judge": JudgeServer().start(),
        "contrary-judge": JudgeServer(contrary=True).start(),
        "opposite-judge": JudgeServer().start(),
        "faithful-judge": JudgeServer().start(),
    }
    for name, server in servers.items():
        system_save(
            name=name,
            fields={"kind": "openai_api", "endpoint": server.url, "model_name": name,
                    "max_retries": 1, "request_timeout_seconds": 2},
        )  # fmt: skip
    yield servers
    for server in servers.values():
        server.stop()


def test_run_eval_with_judges_fills_their_columns_and_validation(
    judges, settings, tmp_path, client
):
    from demo.services import DEMO_DATASET, demo_install, demo_ratings_simulate

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    demo_install()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(
            "run_eval", "--dataset", DEMO_DATASET, "--systems", "demo-canned",
            "--with-reference", "--auto", "7", "--human", "7", "--raters", "3",
            "--judge", "rule-judge", "--judge", "contrary-judge",
            stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    run = EvalRun.objects.get()
    # Both systems' 7 answers, by each judge, once; no judge learns a system's name.
    assert Verdict.objects.filter(status="scored").count() == 2 * 14
    for name in ("rule-judge", "contrary-judge"):
        assert len(judges[name].requests) == 14
    for server in judges.values():
        assert "demo-canned" not in json.dumps(server.requests, ensure_ascii=False)
    table = results_table(run=run)
    labels = [column.label for column in table.columns if column.kind == "judge"]
    assert "J-Con (contrary-judge, cehs-judge-1)" in labels
    assert len(labels) == 8
    row = next(row for row in table.rows if row.system == "demo-canned")
    key = next(column.key for column in table.columns if column.label.startswith("J-Saf (rule"))
    assert (row.cells[key].mean, row.cells[key].n) == (1.0, 7)
    text = StringIO()
    call_command("report", str(run.pk), stdout=text)
    assert "J-Emp (rule-judge, cehs-judge-1)" in text.getvalue()

    with TestCase.captureOnCommitCallbacks(execute=True):
        demo_ratings_simulate()
    # The experts' item means (the hurried rater left out), and judges built from them.
    study = run.study
    rater_exclude(study=study, annotator=Annotator.objects.get(user__username="annotator4"),
                  reason="rated in a hurry", by=None)  # fmt: skip
    means: dict[str, dict[str, list[int]]] = {}
    for rating in ratings_in_analysis(study_id=study.pk).select_related(
        "assignment__item__response"
    ):
        text = rating.assignment.item.response.text
        for key in SCALE_KEYS:
            means.setdefault(text, {}).setdefault(key, []).append(getattr(rating, key))
    for text, scores in means.items():
        average = {key: round(fmean(values)) for key, values in scores.items()}
        judges["faithful-judge"].by_response[text] = average
        judges["opposite-judge"].by_response[text] = {
            key: SCALE_MAXIMUM[key] - value for key, value in average.items()
        }
    verdicts = {}
    for name in ("opposite-judge", "faithful-judge"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("judge", str(run.pk), "--judge", name, stdout=StringIO())
        validation = run_judge_validation(run=run, judge=System.objects.get(name=name))
        empathy = next(row for row in validation.dimensions if row.dimension == "empathy")
        assert empathy.items == 12  # 14 answers, 2 held back for naming a system
        assert validation.failed == 0
        # Asked again: nothing is asked twice, and it prints the validation.
        out = StringIO()
        call_command("judge", str(run.pk), "--judge", name, stdout=out)
        assert "0 scored, 0 failed, 0 pending of 0" in out.getvalue()
        verdicts[name] = out.getvalue()
    assert "empathy      items 12" in verdicts["opposite-judge"]
    less = "judge agrees with experts less than experts agree with each other"
    assert less in verdicts["opposite-judge"]
    assert "at least as well as experts agree with each other" in verdicts["faithful-judge"]

    # The same validation from report, in its three formats.
    printed = StringIO()
    call_command("report", str(run.pk), "--judges", stdout=printed)
    assert less in printed.getvalue()
    assert "opposite-judge (cehs-judge-1) against the experts" in printed.getvalue()
    as_json = StringIO()
    call_command("report", str(run.pk), "--judges", "--format", "json", stdout=as_json)
    assert {entry["judge"] for entry in json.loads(as_json.getvalue())} == {
        "contrary-judge", "faithful-judge", "opposite-judge", "rule-judge",
    }  # fmt: skip
    with pytest.raises(CommandError, match="--judges comes as table, json or csv"):
        call_command("report", str(run.pk), "--judges", "--format", "latex")
    as_csv = StringIO()
    call_command("report", str(run.pk), "--judges", "--format", "csv", stdout=as_csv)
    assert as_csv.getvalue().count("\n") == 1 + 4 * 4

    # Where they part: on the dashboard, in the CSV, and as a study for more ratings.
    opposite = System.objects.get(name="opposite-judge")
    parted = run_judge_disagreements(run=run, judge=opposite)
    assert parted
    assert all(
        abs(row.judge_score - row.experts_mean) >= 1 or row.dimension == "safety" for row in parted
    )
    assert not [row for row in parted if row.dimension == "safety" and
                row.judge_score == row.experts_mean]  # fmt: skip
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[run.pk])).content.decode()
    assert 'class="results judge-validation" data-judge="opposite-judge"' in page
    assert less in page
    csv = b"".join(
        client.get(reverse("admin:reports_evalrun_export", args=[run.pk, "judge-disagreements"]))
    ).decode("utf-8-sig")
    assert csv.count("opposite-judge,") == len(parted)
    validation_csv = b"".join(
        client.get(reverse("admin:reports_evalrun_export", args=[run.pk, "judges"]))
    ).decode("utf-8-sig")
    assert validation_csv.count("\n") == 1 + 4 * run.judges.count()
    answer = client.post(
        reverse("admin:reports_evalrun_judge_followup", args=[run.pk, opposite.pk]), follow=True
    )
    study = Study.objects.get(name=f"eval-run-{run.pk}-opposite-judge-disagreements")
    assert study.status == "draft"
    assert study.items.count() == len({row.response_id for row in parted})
    assert "where opposite-judge and the experts part" in answer.content.decode()


def test_a_judge_that_cannot_be_one_is_refused_in_words(judges, settings, tmp_path):
    from demo.services import DEMO_DATASET, demo_install

    settings.DEBUG = True
    demo_install()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(
            "run_eval", "--dataset", DEMO_DATASET, "--systems", "demo-canned", "--auto", "3",
            "--human", "0", stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    run = EvalRun.objects.get()
    with pytest.raises(CommandError, match="no system named 'ghost'"):
        call_command("judge", str(run.pk), "--judge", "ghost")
    with pytest.raises(CommandError, match="cannot judge"):
        call_command("judge", str(run.pk), "--judge", "demo-canned")
    with pytest.raises(CommandError, match=f"run {run.pk} has no judge run 999"):
        call_command("judge", str(run.pk), "--judge", "rule-judge", "--resume", "999")
    with pytest.raises(CommandError, match="cannot judge"):
        call_command(
            "run_eval", "--dataset", DEMO_DATASET, "--systems", "demo-canned", "--auto", "3",
            "--human", "0", "--judge", "demo-canned", stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    assert not Verdict.objects.exists()
    assert not run.judges.exists()
