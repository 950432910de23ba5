"""A person's decisions on a build: dialogues set aside for their markers accepted or
rejected, and what the build costs at its rewriter's prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from corpus.models import CorpusBuild, CorpusRewrite
from corpus.services.builds import CorpusBuildError
from corpus.services.publish import corpus_publish, corpus_statistics_refresh
from generation.generators import GeneratorUnavailable

RewriteStatus = CorpusRewrite.Status


ACCEPT, REJECT = "accept", "reject"


@transaction.atomic
def corpus_rewrite_review(
    *, rewrite: CorpusRewrite, decision: str, reviewer: User, note: str = ""
) -> CorpusRewrite:
    """A person's decision on a dialogue set aside for its markers: accepted, it joins the
    dataset (unless it duplicates one already there); rejected, it is kept out for good."""
    if decision not in (ACCEPT, REJECT):
        raise CorpusBuildError(f"decision {decision!r}: accept or reject")
    rewrite = CorpusRewrite.objects.select_for_update().select_related("build").get(pk=rewrite.pk)
    if rewrite.status != RewriteStatus.QUARANTINED:
        already = (
            f" ({rewrite.get_review_display()} by {rewrite.reviewed_by} at "
            f"{rewrite.reviewed_at:%Y-%m-%d %H:%M})"
            if rewrite.review and rewrite.reviewed_at
            else ""
        )
        raise CorpusBuildError(
            f"{rewrite.source_id} is not awaiting review: it is {rewrite.status}{already}"
        )
    now = timezone.now()
    rewrite.review = (
        CorpusRewrite.Review.ACCEPTED if decision == ACCEPT else CorpusRewrite.Review.REJECTED
    )
    rewrite.reviewed_by, rewrite.reviewed_at, rewrite.review_note = reviewer, now, note.strip()
    if decision == ACCEPT:
        rewrite.status, rewrite.accepted_at = RewriteStatus.ACCEPTED, now
    else:
        rewrite.status = RewriteStatus.DISCARDED
    rewrite.save()
    build = rewrite.build
    if decision == ACCEPT:
        try:
            corpus_publish(build)
        except GeneratorUnavailable as error:
            raise CorpusBuildError(str(error)) from None
    corpus_statistics_refresh(build=build)
    rewrite.refresh_from_db()
    return rewrite


@dataclass(frozen=True)
class CostEstimate:
    spent: Decimal
    projected: Decimal  # at the same tokens per record, for every record of the build
    currency: str


def corpus_build_cost(build: CorpusBuild) -> CostEstimate | None:
    """What the build's calls cost at the rewriter's prices, and what the whole build will
    cost at the same rate; None without prices."""
    rewriter = build.rewriter
    if rewriter.input_price_per_million is None and rewriter.output_price_per_million is None:
        return None
    million = Decimal(1_000_000)
    spent = (
        Decimal(build.prompt_tokens) * (rewriter.input_price_per_million or 0)
        + Decimal(build.completion_tokens) * (rewriter.output_price_per_million or 0)
    ) / million
    answered = build.rewrites.exclude(status=RewriteStatus.PENDING).count()
    pending = build.progress_total - answered
    projected = spent if not answered else spent + spent / answered * pending
    quantum = Decimal("0.0001")
    return CostEstimate(
        spent.quantize(quantum), projected.quantize(quantum), rewriter.price_currency
    )
