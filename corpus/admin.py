"""Admin for corpus builds: their progress, actions, statistics page and review page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from common.admin import (
    CommandStartedAdmin,
    LiveJobAdmin,
    ServiceModelAdmin,
    progress_bar,
    staff_user,
)
from common.highlight import MarkerHit, highlighted
from corpus.charts import count_bars, word_weights
from corpus.models import CorpusBuild, CorpusRewrite
from corpus.rewrites import TOPICS
from corpus.services import (
    CorpusBuildError,
    corpus_build_cancel,
    corpus_build_cost,
    corpus_build_resume,
    corpus_rewrite_review,
)


@admin.register(CorpusBuild)
class CorpusBuildAdmin(CommandStartedAdmin, LiveJobAdmin):
    start_hint = (
        "A build starts from the command line, where the file of answers is: "
        "manage.py build_corpus FILE --rewriter SYSTEM --prompt empathy (README: the corpus "
        "builder)."
    )
    list_display = ["name", "rewriter", "prompt", "status", "progress", "accepted",
                    "awaiting_review", "created_at"]  # fmt: skip
    list_filter = ["status", "prompt"]
    search_fields = ["name", "input_name", "error"]
    list_select_related = ["rewriter", "dataset"]
    readonly_fields = (
        "name", "status", "progress", "outcome", "cost", "pages", "rewriter", "prompt",
        "input_name", "problems", "rules", "markers", "max_new_tokens", "test_ratio", "dataset",
        "calls", "prompt_tokens", "completion_tokens", "error", "started_at", "finished_at",
        "created_at",
    )  # fmt: skip
    fields = readonly_fields
    actions = ["cancel", "resume", "resume_with_rejected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Builds start from `manage.py build_corpus FILE`, where the file is.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:build_id>/statistics/", view(self.statistics_view),
                 name="corpus_corpusbuild_statistics"),
            path("<int:build_id>/review/", view(self.review_view),
                 name="corpus_corpusbuild_review"),
            *super().get_urls(),
        ]  # fmt: skip

    @admin.display(description="progress")
    def progress(self, build: CorpusBuild) -> str:
        return progress_bar(build.progress_done, build.progress_total, "records")

    @admin.display(description="accepted")
    def accepted(self, build: CorpusBuild) -> int:
        return build.statistics.get("status", {}).get("accepted", 0)

    @admin.display(description="awaiting review")
    def awaiting_review(self, build: CorpusBuild) -> int:
        return build.statistics.get("review", {}).get("waiting", 0)

    @admin.display(description="outcome")
    def outcome(self, build: CorpusBuild) -> str:
        counts = build.statistics.get("status", {})
        return ", ".join(f"{status} {counts[status]}" for status in CorpusRewrite.Status.values
                         if counts.get(status)) or "–"  # fmt: skip

    @admin.display(description="cost estimate")
    def cost(self, build: CorpusBuild) -> str:
        estimate = corpus_build_cost(build)
        if estimate is None:
            return "no prices set on the rewriter"
        return f"{estimate.spent} {estimate.currency} so far; {estimate.projected} for all records"

    @admin.display(description="pages")
    def pages(self, build: CorpusBuild) -> str:
        rewrites = reverse("admin:corpus_corpusrewrite_changelist")
        return format_html(
            '<a href="{}">statistics</a> · <a href="{}">review ({} waiting)</a> · '
            '<a href="{}?build__id__exact={}">every rewrite</a>',
            reverse("admin:corpus_corpusbuild_statistics", args=[build.pk]),
            reverse("admin:corpus_corpusbuild_review", args=[build.pk]),
            self.awaiting_review(build), rewrites, build.pk,
        )  # fmt: skip

    @admin.display(description="input lines skipped")
    def problems(self, build: CorpusBuild) -> str:
        if not build.input_problems:
            return "none"
        return format_html("<pre>{}</pre>", "\n".join(build.input_problems))

    @admin.action(description="Cancel the selected builds after the batch in flight")
    def cancel(self, request: HttpRequest, queryset: QuerySet[CorpusBuild]) -> None:
        cancelled = sum(corpus_build_cancel(build=build) for build in queryset)
        self.message_user(request, f"{cancelled} build(s) cancelled.", messages.SUCCESS)

    def _resume(self, request: HttpRequest, queryset, *, rejected: bool) -> None:
        resumed = 0
        for build in queryset:
            try:
                corpus_build_resume(build=build, rejected=rejected)
                resumed += 1
            except CorpusBuildError as error:
                self.message_user(request, str(error), messages.WARNING)
        self.message_user(request, f"{resumed} build(s) queued again.", messages.SUCCESS)

    @admin.action(description="Resume: ask again for records with no answer")
    def resume(self, request: HttpRequest, queryset: QuerySet[CorpusBuild]) -> None:
        self._resume(request, queryset, rejected=False)

    @admin.action(description="Resume, asking again for rejected records too")
    def resume_with_rejected(self, request: HttpRequest, queryset: QuerySet[CorpusBuild]) -> None:
        self._resume(request, queryset, rejected=True)

    def _build(self, request: HttpRequest, build_id: int) -> CorpusBuild:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(CorpusBuild.objects.select_related("rewriter", "dataset"),
                                 pk=build_id)  # fmt: skip

    def statistics_view(self, request: HttpRequest, build_id: int) -> HttpResponse:
        build = self._build(request, build_id)
        stats = build.statistics
        rounds = {key: stats.get("rounds", {})[key]
                  for key in sorted(stats.get("rounds", {}), key=int)}  # fmt: skip
        words = [(word, weight) for word, weight in stats.get("psychologist_words", [])[:40]]
        # PostgreSQL's jsonb keeps no key order: the topics go in DESIGN.md's order.
        topics = {topic: stats.get("topics", {}).get(topic, 0)
                  for topic in (*TOPICS, "other", "none")}  # fmt: skip
        charts = [
            count_bars("rounds per accepted dialogue", rounds, x_title="rounds"),
            count_bars("topics of the accepted dialogues", topics),
            word_weights("psychologists' most characteristic words (jieba TF-IDF)", words),
        ]
        rejected = dict(sorted(stats.get("rejected_by_reason", {}).items(),
                               key=lambda item: (-item[1], item[0])))  # fmt: skip
        if rejected:
            charts.insert(0, count_bars("rejections by rule", rejected, colour="#a53b3b"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Corpus build {build.name}: statistics",
            "build": build,
            "stats": stats,
            "rejected": rejected,
            "cost": corpus_build_cost(build),
            # pygal escapes every label and its scripts are dropped (common.charts).
            "charts": [mark_safe(chart) for chart in charts],  # noqa: S308
        }
        return render(request, "admin/corpus/corpusbuild/statistics.html", context)

    def review_view(self, request: HttpRequest, build_id: int) -> HttpResponse:
        build = self._build(request, build_id)
        if request.method == "POST":
            if not request.user.has_perm("corpus.change_corpusrewrite"):
                raise PermissionDenied
            rewrite_id = request.POST.get("rewrite", "")
            if not rewrite_id.isdigit():
                raise Http404("no such rewrite")
            rewrite = get_object_or_404(CorpusRewrite, pk=int(rewrite_id), build=build)
            try:
                corpus_rewrite_review(
                    rewrite=rewrite,
                    decision=request.POST.get("decision", ""),
                    reviewer=staff_user(request),
                    note=request.POST.get("note", ""),
                )
            except CorpusBuildError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                rewrite.refresh_from_db()
                outcome = rewrite.get_status_display()
                if rewrite.status == CorpusRewrite.Status.DUPLICATE:
                    outcome += f" ({rewrite.reason})"
                self.message_user(
                    request, f"Review of {rewrite.source_id}: {outcome}", messages.SUCCESS
                )
            return HttpResponseRedirect(request.path)
        waiting = build.rewrites.filter(status=CorpusRewrite.Status.QUARANTINED).order_by("pk")
        page = Paginator(waiting, 20).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Corpus build {build.name}: review",
            "build": build,
            "page": page,
            "items": [_review_item(rewrite) for rewrite in page],
            "decided": build.rewrites.exclude(review="").count(),
        }
        return render(request, "admin/corpus/corpusbuild/review.html", context)


def _review_item(rewrite: CorpusRewrite) -> dict:
    hits: dict[int, list[MarkerHit]] = {}
    for hit in rewrite.marker_hits:
        hits.setdefault(hit["turn"], []).append(MarkerHit(**hit))
    return {
        "rewrite": rewrite,
        "markers": sorted({hit["marker"] for hit in rewrite.marker_hits}),
        "turns": [
            {"role": turn["role"], "pieces": highlighted(turn["content"], hits.get(index, []))}
            for index, turn in enumerate(rewrite.turns)
        ],
    }


@admin.register(CorpusRewrite)
class CorpusRewriteAdmin(ServiceModelAdmin):
    list_display = ["source_id", "build", "status", "reason_code", "rounds", "topic", "review"]
    list_filter = ["status", "reason_code", "review", "build"]
    search_fields = ["source_id", "question", "raw_output", "reason"]
    list_select_related = ["build"]
    readonly_fields = (
        "build", "source_id", "input_line", "status", "reason_code", "reason", "rounds",
        "topic", "question", "description", "answer", "prompt", "raw_output", "turns",
        "marker_hits", "duplicate_of", "attempts", "prompt_tokens", "completion_tokens",
        "latency_seconds", "review", "reviewed_by", "reviewed_at", "review_note",
    )  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Decisions are taken on the build's review page, where the markers are shown.
        return False
