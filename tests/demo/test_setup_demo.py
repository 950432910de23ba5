from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from demo.services import DEMO_CORPUS
from generation.models import Dataset

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
        "annotator4",
    ]
    assert not annotators.filter(is_staff=True).exists()
    assert users.get(username="annotator1").check_password("souleval-demo")
    assert "annotator3" in text
    assert "http://127.0.0.1:8000/" in text

    out = StringIO()
    call_command("setup_demo", stdout=out)
    assert "already imported" in out.getvalue()
    assert users.count() == 5


def test_it_refuses_without_debug_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as refusal:
        call_command("setup_demo")
    assert "only with DJANGO_DEBUG=true" in str(refusal.value)
    assert get_user_model().objects.count() == 0
    assert Dataset.objects.count() == 0


def test_simulated_ratings_fill_the_demo_run_and_leave_annotator1_a_share(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    from annotation.models import Annotator, Rating
    from annotation.services import assignment_next, rater_exclude
    from generation.models import Response, Sample, System
    from reports.selectors.ratings import run_annotator_rows
    from reports.selectors.results import results_table

    settings.DEBUG = True
    call_command("setup_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="no evaluation run over demo-counselling"):
        call_command("setup_demo", "--simulate-ratings", stdout=StringIO())

    test_samples = Sample.objects.filter(dataset__name="demo-counselling", split="test")
    for name, text in (("demo-a", "听起来你很辛苦。"), ("demo-b", "嗯。")):
        system = System.objects.create(name=name, kind="imported", responses_file="x")
        Response.objects.bulk_create(
            Response(sample=sample, system=system, text=text) for sample in test_samples
        )
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "run_eval", "--dataset", "demo-counselling", "--systems", "demo-a,demo-b",
            "--auto", "5", "--human", "3", "--raters", "3", stdout=StringIO(),
        )  # fmt: skip
    out = StringIO()
    call_command("setup_demo", "--simulate-ratings", stdout=out)
    assert (
        "12 simulated ratings added by annotator2 and annotator3, and 3 by annotator4 in a hurry"
        in out.getvalue()
    )
    ratings = Rating.objects.all()
    assert sorted(set(ratings.values_list("assignment__annotator__user__username", flat=True))) == [
        "annotator2",
        "annotator3",
        "annotator4",
    ]
    # The simulated time is credited, within what a person could have been paid for.
    careful = ratings.exclude(assignment__annotator__user__username="annotator4")
    assert all(40 <= rating.active_seconds <= 240 for rating in careful)
    hurried = ratings.filter(assignment__annotator__user__username="annotator4")
    assert all(2 <= rating.active_seconds <= 9 for rating in hurried)

    call_command("setup_demo", "--simulate-ratings", stdout=(again := StringIO()))
    assert "0 simulated ratings" in again.getvalue()
    assert Rating.objects.count() == 15

    run = Rating.objects.first().assignment.item.study.eval_run
    # The setup fitted the mixed models of both views: the dashboard's panel reads them.
    from reports.selectors import differences
    from reports.selectors.table import RATINGS_VIEWS

    def refit(*args, **kwargs):
        raise AssertionError("the demo's differences were not kept")

    with monkeypatch.context() as patched:
        patched.setattr(differences, "mixed_model_fit", refit)
        for view in RATINGS_VIEWS:
            assert differences.run_differences(run=run, ratings=view)
    table = results_table(run=run)
    assert all(row.cells["content"].n == 3 for row in table.rows)
    # Half the items have the hurried third rater: κ reads those; α reads all six.
    assert {row.kappa_items for row in table.agreement} == {3}
    rows = {row.annotator: row for row in run_annotator_rows(run=run)}
    assert rows["annotator4"].quality.flags[0].startswith("100% of ratings under 20 s")
    assert not any("under 20 s" in flag for flag in rows["annotator2"].quality.flags)
    rater_exclude(
        study=run.study, annotator=Annotator.objects.get(user__username="annotator4"),
        reason="rated in a hurry", by=None,
    )  # fmt: skip
    table = results_table(run=run)
    assert [row.dimension for row in table.agreement if row.kappa_items == 6] == [
        "content", "empathy", "helpfulness", "safety",
    ]  # fmt: skip
    assert table.note == "After exclusions: 3 ratings left out: annotator4 (rated in a hurry)."
    annotator1 = Annotator.objects.get(user__username="annotator1")
    assert assignment_next(annotator=annotator1, study=run.study) is not None


def test_the_demo_run_holds_the_canned_replies_that_name_an_ai_until_reviewed(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    from annotation.models import Item, Rating
    from annotation.selectors.screening import study_screening_counts
    from demo.services import DEMO_CANNED_LEAKS
    from generation.models import Sample, System
    from reports.models import EvalRun
    from reports.selectors.results import results_table

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("setup_demo", stdout=StringIO())
    canned = System.objects.get(name="demo-canned")
    assert canned.kind == "imported"
    assert canned.responses_file.startswith(str(tmp_path))
    tests = Sample.objects.filter(dataset__name="demo-counselling", split="test").count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "run_eval", "--dataset", "demo-counselling", "--systems", "demo-canned",
            "--with-reference", "--auto", str(tests), "--human", str(tests), "--raters", "2",
            stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    run = EvalRun.objects.get()
    counts = study_screening_counts(study_id=run.study_id)
    assert counts.held == len(DEMO_CANNED_LEAKS) == 2
    held = Item.objects.filter(study=run.study, screening=Item.Screening.HELD)
    assert {item.response.text for item in held} == set(DEMO_CANNED_LEAKS)
    call_command("setup_demo", "--simulate-ratings", stdout=StringIO())
    assert not Rating.objects.filter(assignment__item__in=held).exists()
    table = results_table(run=run)
    assert [row.kind for row in table.ordered_rows()] == ["system", "reference", "floor"]
    assert "2 awaiting a decision" in table.note
    # setup_demo again changes nothing.
    call_command("setup_demo", stdout=StringIO())
    assert System.objects.filter(name="demo-canned").count() == 1


def test_the_demo_model_learns_from_the_train_split_only(settings):
    from demo.services import demo_corpus_texts
    from generation.models import Sample

    settings.DEBUG = True
    call_command("setup_demo", stdout=StringIO())
    texts = "\n".join(demo_corpus_texts())
    samples = Sample.objects.filter(dataset__name="demo-counselling")
    tested = samples.filter(split=Sample.Split.TEST)
    assert tested.exists()
    assert not [s.reference for s in tested if s.reference in texts]
    assert all(s.reference in texts for s in samples.filter(split=Sample.Split.TRAIN))


def test_simulated_experts_vote_on_the_demo_runs_pairwise_study(
    settings, django_capture_on_commit_callbacks
):
    from annotation.models import PairVote
    from generation.models import Response, Sample, System
    from reports.models import EvalRun
    from reports.selectors.pairwise_results import study_pairwise_results

    settings.DEBUG = True
    call_command("setup_demo", stdout=StringIO())
    test_samples = Sample.objects.filter(dataset__name="demo-counselling", split="test")
    for name, text in (
        ("demo-a", "听起来你这段时间真的很辛苦，愿意多说说吗？"),
        ("demo-b", "嗯。"),
    ):
        system = System.objects.create(name=name, kind="imported", responses_file="x")
        Response.objects.bulk_create(
            Response(sample=sample, system=system, text=text) for sample in test_samples
        )
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "run_eval", "--dataset", "demo-counselling", "--systems", "demo-a,demo-b",
            "--auto", "5", "--human", "3", "--raters", "3", "--pairwise", stdout=StringIO(),
        )  # fmt: skip
    out = StringIO()
    call_command("setup_demo", "--simulate-ratings", stdout=out)
    run = EvalRun.objects.get()
    assert f"Pairwise study {run.pair_study.name}: 6 simulated votes added" in out.getvalue()
    votes = PairVote.objects.filter(assignment__item__study=run.pair_study)
    assert votes.count() == 6
    assert all(30 <= vote.active_seconds <= 150 for vote in votes)
    (table,) = study_pairwise_results(study=run.pair_study, seed=run.seed).tables
    assert table.ranking.votes == 6
    call_command("setup_demo", "--simulate-ratings", stdout=(again := StringIO()))
    assert "simulated votes" not in again.getvalue()
    assert votes.count() == 6
