"""Writes of the corpus app, by subject: builds (create, run, resume, cancel), publishing
(dedup, the dataset, the statistics) and people's decisions (review, cost)."""

from corpus.services.builds import (
    DEFAULT_MAX_NEW_TOKENS,
    CorpusBuildError,
    CorpusRequest,
    corpus_build_cancel,
    corpus_build_create,
    corpus_build_name_default,
    corpus_build_requeue,
    corpus_build_resume,
)
from corpus.services.publish import corpus_publish, corpus_statistics_refresh
from corpus.services.review import (
    ACCEPT,
    REJECT,
    CostEstimate,
    corpus_build_cost,
    corpus_rewrite_review,
)
from corpus.services.runs import corpus_build_run

__all__ = [
    "ACCEPT",
    "DEFAULT_MAX_NEW_TOKENS",
    "REJECT",
    "CorpusBuildError",
    "CorpusRequest",
    "CostEstimate",
    "corpus_build_cancel",
    "corpus_build_cost",
    "corpus_build_create",
    "corpus_build_name_default",
    "corpus_build_requeue",
    "corpus_build_resume",
    "corpus_build_run",
    "corpus_publish",
    "corpus_rewrite_review",
    "corpus_statistics_refresh",
]
