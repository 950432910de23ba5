"""The results dashboard and its CSV exports: admin pages, staff only (wired through
EvalRunAdmin, which wraps each in admin_view)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation.rubric import SCALE_KEYS
from judging.services import JudgeRunInvalid
from reports.charts import strength_bars
from reports.exports import csv_lines
from reports.formats import column_digits
from reports.forms import DashboardForm
from reports.models import EvalRun
from reports.selectors.dashboard import run_comparison, run_dashboard, run_plan_panel
from reports.selectors.differences import run_differences
from reports.selectors.exports import EXPORT_KINDS, ExportNotFound, export_kind_get
from reports.selectors.pairwise_results import study_pairwise_results
from reports.selectors.runs import RunNotFound, RunProgress, run_get, run_progress
from reports.selectors.table import AFTER_EXCLUSIONS, ALL_RATINGS
from reports.services.judging import run_judge_followup_study


def _run(run_id: int) -> EvalRun:
    try:
        return run_get(run_id=run_id)
    except RunNotFound:
        raise Http404("no such run") from None


def _progress_json(progress: RunProgress) -> dict:
    return {
        "status": progress.status,
        "error": progress.error,
        "generation": round(progress.generation_percent, 1),
        "scoring": round(progress.scoring_percent, 1),
        "rating": round(progress.rating_percent, 1),
        "answered": progress.answered,
        "scored": progress.scored,
        "expected": progress.expected,
        "to_score": progress.to_score,
        "ratings": progress.study.submitted if progress.study else 0,
        "slots": progress.study.slots if progress.study else 0,
        "systems": [
            {
                "system": row.system,
                "answered": row.answered,
                "expected": row.expected,
                "job": row.job_status,
            }
            for row in progress.systems
        ],
    }


def run_progress_view(request: HttpRequest, run_id: int) -> JsonResponse:
    return JsonResponse(_progress_json(run_progress(run=_run(run_id))))


def _form(request: HttpRequest) -> DashboardForm:
    form = DashboardForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(
            f"{key}={request.GET.get(key)!r}: {' '.join(str(m) for m in messages)}"
            for key, messages in form.errors.items()
        )
        raise BadRequest(problems)
    return form


def _display_rows(table) -> list[tuple]:
    rows = []
    for row in table.ordered_rows():
        cells = []
        for column in table.columns:
            estimate = row.cells.get(column.key)
            digits = column_digits(column.kind)
            cells.append(
                {
                    "estimate": estimate,
                    "best": column.key in row.best,
                    "mean": f"{estimate.mean:.{digits}f}" if estimate else "",
                    "interval": estimate is not None and estimate.has_interval,
                    "low": f"{estimate.low:.{digits}f}" if estimate else "",
                    "high": f"{estimate.high:.{digits}f}" if estimate else "",
                }
            )
        rows.append((row, cells))
    return rows


def dashboard_view(request: HttpRequest, run_id: int, admin_context: dict) -> HttpResponse:
    run = _run(run_id)
    form = _form(request)
    ratings = form.ratings_view()
    plan = form.plan_wanted()
    progress = run_progress(run=run)
    dashboard = run_dashboard(
        run=run,
        ratings=ratings,
        progress=progress,
        comparison=form.comparison_wanted(),
        # Unasked, the planner's default answer is fetched once the page is shown.
        plan=plan if form.plan_asked() else None,
    )
    figures = dashboard.figures
    context = {
        **admin_context,
        "title": f"Results of evaluation run {run.pk}",
        "run": run,
        "progress": _progress_json(progress),
        "figures_kept": dashboard.cached,
        "table": figures.table,
        "table_rows": _display_rows(figures.table),
        "annotators": figures.annotators,
        "unsafe": figures.unsafe,
        "charts": figures.charts,
        "ratings": ratings,
        "other_ratings": AFTER_EXCLUSIONS if ratings == ALL_RATINGS else ALL_RATINGS,
        "datasets": figures.datasets,
        "systems": figures.systems,
        "metrics": dashboard.metrics,
        "comparison": dashboard.comparison,
        "comparison_error": dashboard.comparison_error,
        "plan": dashboard.plan,
        "plan_error": dashboard.plan_error,
        "judges": figures.judges,
        "plan_request": plan,
        "plan_pending": not form.plan_asked() and run.study_id is not None,
        "wanted": form.comparison_wanted() or {},
        "scales": SCALE_KEYS,
        "exports": EXPORT_KINDS.values(),
    }
    return render(request, "reports/dashboard.html", context)


def comparison_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """The comparison panel alone: the dashboard's script puts it in place, keeping the
    page, its scroll position and the choices made."""
    run = _run(run_id)
    form = _form(request)
    comparison, error = run_comparison(
        run=run, ratings=form.ratings_view(), wanted=form.comparison_wanted()
    )
    return render(
        request,
        "reports/_comparison.html",
        {"comparison": comparison, "comparison_error": error},
        status=200 if comparison is not None else 400,
    )


def differences_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """The mixed models' system differences alone: fitted after the dashboard is shown,
    as they take seconds at a paper's size where the rest of the page takes less than one."""
    run = _run(run_id)
    differences = run_differences(run=run, ratings=_form(request).ratings_view())
    return render(request, "reports/_differences.html", {"differences": differences})


def pairwise_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """The pairwise study's rankings alone, fetched after the dashboard is shown."""
    run = _run(run_id)
    if run.pair_study is None:
        raise Http404("This run has no pairwise study (run_eval --pairwise adds one).")
    results = study_pairwise_results(study=run.pair_study, seed=run.seed)
    return render(
        request,
        "reports/_pairwise.html",
        {
            "results": results,
            "charts": [
                strength_bars(f"{table.dataset}: Bradley–Terry strength", table.ranking)
                if not table.ranking.problem
                else ""
                for table in results.tables
            ],
        },
    )


def plan_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """The planner panel alone, for the dashboard's script (its default answer after
    the page is shown, or what it was asked)."""
    run = _run(run_id)
    plan, error = run_plan_panel(run=run, wanted=_form(request).plan_wanted())
    return render(
        request,
        "reports/_plan.html",
        {"plan": plan, "plan_error": error},
        status=200 if plan is not None else 400,
    )


@require_POST
def judge_followup_view(request: HttpRequest, run_id: int, judge_id: int) -> HttpResponse:
    """The dashboard's button: the items where a judge and the experts part, as a draft
    study for more expert ratings."""
    run = _run(run_id)
    judge = run.judges.filter(pk=judge_id).first()
    if judge is None:
        raise Http404("no such judge of this run")
    try:
        study = run_judge_followup_study(run=run, judge=judge)
    except JudgeRunInvalid as error:
        messages.warning(request, str(error))
        return redirect("admin:reports_evalrun_dashboard", run.pk)
    messages.success(
        request,
        f"Draft study {study.name}: {study.items.count()} items where {judge.name} and the "
        "experts part. Open it when its raters are invited.",
    )
    return redirect("admin:annotation_study_change", study.pk)


def export_view(request: HttpRequest, run_id: int, kind: str) -> StreamingHttpResponse:
    run = _run(run_id)
    try:
        export = export_kind_get(key=kind)
    except ExportNotFound:
        raise Http404("no such export") from None
    ratings = _form(request).ratings_view()
    response = StreamingHttpResponse(
        csv_lines(export.rows(run, ratings)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(run, ratings)}"'
    return response
