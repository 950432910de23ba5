"""Leaving a rater (or one rating) out of the analysis: Table 1, agreement, comparisons
and every export change, say so, and change back when it is undone; pay never does."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotation.models import RaterExclusion, Rating
from annotation.services import ExclusionInvalid, exclusion_undo, rater_exclude, rating_exclude
from reports.selectors.comparisons import systems_compare
from reports.selectors.ratings import run_annotator_rows
from reports.selectors.results import ALL_RATINGS, results_table
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.runs import rate_all, run_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated():
    world = run_world(samples=6, human=3, raters=3)
    rate_all(world)
    return world


def human_cells(table) -> dict:
    return {
        (row.system, key): (round(row.cells[key].mean, 9), row.cells[key].n)
        for row in table.rows
        for key in ("content", "empathy", "helpfulness", "safety")
        if row.cells[key] is not None
    }


def test_a_rater_left_out_changes_table_one_and_agreement_and_undoing_restores_them(rated):
    admin = AdminFactory()
    before = results_table(run=rated.run)
    pay_before = [
        (row.annotator, row.earned, row.items) for row in run_annotator_rows(run=rated.run)
    ]
    left_out = rated.annotators[0]
    exclusion = rater_exclude(study=rated.run.study, annotator=left_out, reason="rated too fast",
                              by=admin)  # fmt: skip

    after = results_table(run=rated.run)
    assert human_cells(after) != human_cells(before)
    assert sum(row.rated_items for row in after.rows) == sum(row.rated_items for row in before.rows)
    assert [row.ratings for row in after.agreement] == [row.ratings - 6 for row in before.agreement]
    assert after.exclusions.ratings_left_out == 6
    assert after.note == f"After exclusions: 6 ratings left out: {left_out} (rated too fast)."
    assert sum(row.ratings_left_out for row in after.rows) == 6
    # Pay is for work done: it does not change.
    assert [
        (row.annotator, row.earned, row.items) for row in run_annotator_rows(run=rated.run)
    ] == pay_before
    excluded_row = next(
        row for row in run_annotator_rows(run=rated.run) if row.annotator == str(left_out)
    )
    assert excluded_row.excluded == "rated too fast"

    # The other view: every rating, exclusions named but ignored.
    every = results_table(run=rated.run, ratings=ALL_RATINGS)
    assert human_cells(every) == human_cells(before)
    assert every.note.startswith("All ratings, exclusions ignored (6 ratings left out")

    exclusion_undo(exclusion=exclusion, by=admin)
    restored = results_table(run=rated.run)
    assert human_cells(restored) == human_cells(before)
    assert [row.kappa.value for row in restored.agreement] == [
        row.kappa.value for row in before.agreement
    ]
    assert restored.note == ""
    assert RaterExclusion.objects.get().undone_by == admin


def test_one_rating_left_out_is_counted_on_its_row_and_in_comparisons(rated):
    first, second = rated.systems
    rating = (
        Rating.objects.filter(assignment__item__study=rated.run.study,
                              assignment__item__response__system=first)
        .order_by("pk").first()
    )  # fmt: skip
    compare = {"run": rated.run, "dataset": rated.dataset, "first": first, "second": second,
               "metric": "content"}  # fmt: skip
    before = systems_compare(**compare)
    rating_exclude(rating=rating, reason="answered another item by mistake", by=None)
    table = results_table(run=rated.run)
    [row] = [row for row in table.rows if row.system == first.name]
    assert row.ratings_left_out == 1
    rater = rating.assignment.annotator
    assert table.note.endswith(f"one rating by {rater} (answered another item by mistake).")
    # The item keeps its other raters: every sample is still compared, on what is left.
    after = systems_compare(**compare)
    assert after.samples == before.samples
    kept = Rating.objects.filter(
        assignment__item__study=rated.run.study, assignment__item__response__system=first
    ).exclude(pk=rating.pk)
    per_sample: dict[int, list[int]] = {}
    for sample_id, score in kept.values_list("assignment__item__response__sample_id", "content"):
        per_sample.setdefault(sample_id, []).append(score)
    means = [sum(scores) / len(scores) for scores in per_sample.values()]
    assert after.first_mean == pytest.approx(sum(means) / len(means))
    assert systems_compare(**compare, ratings=ALL_RATINGS).first_mean == before.first_mean


def test_exclusions_are_refused_with_a_reason_and_change_nothing(rated):
    study, annotator = rated.run.study, rated.annotators[1]
    with pytest.raises(ExclusionInvalid, match="say why"):
        rater_exclude(study=study, annotator=annotator, reason="  ", by=None)
    with pytest.raises(ExclusionInvalid, match="has no ratings in"):
        rater_exclude(study=study, annotator=AnnotatorFactory(), reason="x", by=None)
    exclusion = rater_exclude(study=study, annotator=annotator, reason="first", by=None)
    with pytest.raises(ExclusionInvalid, match=r"already left out .*: first\)"):
        rater_exclude(study=study, annotator=annotator, reason="again", by=None)
    rating = Rating.objects.filter(assignment__annotator=annotator).first()
    with pytest.raises(ExclusionInvalid, match=r"every rating of .* is already left out"):
        rating_exclude(rating=rating, reason="x", by=None)
    exclusion_undo(exclusion=exclusion, by=None)
    with pytest.raises(ExclusionInvalid, match="already undone"):
        exclusion_undo(exclusion=exclusion, by=None)
    assert RaterExclusion.objects.count() == 1
    # Undone, it can be made again.
    rater_exclude(study=study, annotator=annotator, reason="second thoughts", by=None)
    assert RaterExclusion.objects.filter(undone_at__isnull=True).count() == 1


def test_every_format_says_what_was_left_out(rated, capsys):
    rater_exclude(study=rated.run.study, annotator=rated.annotators[2], reason="straight-lined",
                  by=None)  # fmt: skip
    name = str(rated.annotators[2])
    call_command("report", str(rated.run.pk))
    assert (
        f"After exclusions: 6 ratings left out: {name} (straight-lined)." in capsys.readouterr().out
    )
    call_command("report", str(rated.run.pk), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["ratings"] == "after-exclusions"
    assert data["exclusions"]["ratings_left_out"] == 6
    assert data["exclusions"]["entries"][0]["reason"] == "straight-lined"
    call_command("report", str(rated.run.pk), "--format", "latex")
    assert "6 ratings left out" in capsys.readouterr().out
    call_command("report", str(rated.run.pk), "--format", "csv", "--ratings", "all")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["ratings"] for row in rows} == {"all"}
    assert rows[0]["note"].startswith("All ratings, exclusions ignored")


def test_the_dashboard_shows_both_views_and_exports_follow(rated, client):
    rater_exclude(study=rated.run.study, annotator=rated.annotators[0], reason="too fast",
                  by=None)  # fmt: skip
    client.force_login(AdminFactory())
    url = reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk])
    page = client.get(url).content.decode()
    assert "the ratings <strong>after exclusions</strong>" in page
    assert f"6 ratings left out: {rated.annotators[0]} (too fast)." in page
    assert "left out: too fast" in page
    every = client.get(url, {"ratings": "all"}).content.decode()
    assert "<strong>all ratings</strong>, exclusions ignored" in every
    assert client.get(url, {"ratings": "some"}).status_code == 400

    export = reverse("admin:reports_evalrun_export", args=[rated.run.pk, "agreement"])
    kept = list(csv.DictReader(io.StringIO(b"".join(client.get(export).streaming_content)
                                           .decode("utf-8-sig"))))  # fmt: skip
    everything = list(csv.DictReader(io.StringIO(
        b"".join(client.get(export, {"ratings": "all"}).streaming_content).decode("utf-8-sig")
    )))  # fmt: skip
    assert int(everything[0]["ratings"]) - int(kept[0]["ratings"]) == 6
    assert kept[0]["exclusions"].startswith("After exclusions: 6 ratings left out")


def careful_ratings(world) -> None:
    """Ratings as careful raters make them: two minutes an item, and scores that follow
    the item (so the raters agree), varied from item to item."""
    for rating in Rating.objects.filter(assignment__item__study=world.run.study):
        level = rating.assignment.item_id % 3
        Rating.objects.filter(pk=rating.pk).update(
            content=level, empathy=level, helpfulness=2 - level, safety=1, active_seconds=120
        )


def test_the_dashboard_highlights_a_rater_who_rated_too_fast(rated, client):
    careful_ratings(rated)
    fast = rated.annotators[1]
    Rating.objects.filter(assignment__annotator=fast).update(active_seconds=3)
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk]))
    html = page.content.decode()
    row = next(part for part in html.split("<tr") if f"<td>{fast}</td>" in part)
    assert "flagged" in row
    assert "100% of ratings under 20 s (median 3 s)" in row
    assert f"annotator={fast.pk}" in row  # the link that leaves them out
    careful = next(part for part in html.split("<tr") if f"<td>{rated.annotators[0]}</td>" in part)
    assert "flagged" not in careful.split(">")[0]
    assert '<td class="flags">–</td>' in careful

    export = reverse("admin:reports_evalrun_export", args=[rated.run.pk, "annotators"])
    lines = list(csv.DictReader(io.StringIO(b"".join(client.get(export).streaming_content)
                                            .decode("utf-8-sig"))))  # fmt: skip
    [fast_line] = [line for line in lines if line["annotator"] == str(fast)]
    assert fast_line["median_seconds_per_item"] == "3.0"
    assert fast_line["too_fast_percent"] == "100.0"
    assert fast_line["flags"].startswith("100% of ratings under 20 s")
    assert {"loo_spearman_content", "straight_lining_percent", "excluded"} <= set(fast_line)
