"""The end of a build, and of a reviewer's acceptance: duplicates marked, the rest written
as the dataset of the build's name, and the figures of the statistics page."""

from __future__ import annotations

from collections import Counter

from corpus.dedup import dialogues_dedup
from corpus.models import CorpusBuild, CorpusRewrite
from corpus.rewrites import corpus_statistics
from generation.dialogues import Dialogue, Turn
from generation.generators import GeneratorUnavailable
from generation.models import Dataset
from generation.services.datasets import DatasetImportError, dataset_dialogues_add

RewriteStatus = CorpusRewrite.Status


def _dialogue_text(rewrite: CorpusRewrite) -> str:
    return "\n".join(f"{turn['role']}:{turn['content']}" for turn in rewrite.turns)


def corpus_publish(build: CorpusBuild) -> None:
    """Mark duplicates among the accepted dialogues (the earliest accepted is kept, so a
    dialogue already in the dataset stays there) and add the rest to the dataset. Called
    in a transaction; the build's row lock makes two reviewers' acceptances of near
    duplicates take turns, so the second sees the first."""
    CorpusBuild.objects.select_for_update().filter(pk=build.pk).first()
    accepted = list(
        build.rewrites.filter(status=RewriteStatus.ACCEPTED).order_by("accepted_at", "pk")
    )
    if not accepted:
        return
    result = dialogues_dedup([_dialogue_text(rewrite) for rewrite in accepted])
    duplicates = []
    for found, near in ((result.exact, False), (result.near, True)):
        for position, first in found.items():
            rewrite, original = accepted[position], accepted[first]
            rewrite.status = RewriteStatus.DUPLICATE
            rewrite.duplicate_of, rewrite.near_duplicate = original, near
            rewrite.reason_code = "near_duplicate" if near else "exact_duplicate"
            rewrite.reason = f"{'nearly ' if near else ''}the same dialogue as {original.source_id}"
            duplicates.append(rewrite)
    CorpusRewrite.objects.bulk_update(
        duplicates, ["status", "duplicate_of", "near_duplicate", "reason_code", "reason"]
    )
    kept = [accepted[position] for position in result.kept]
    try:
        dataset_dialogues_add(
            name=build.name,
            dialogues=[
                Dialogue(
                    source_id=rewrite.source_id,
                    turns=rewrite.dialogue_turns(),
                    location=f"{build.input_name}:{rewrite.input_line}",
                    topic=rewrite.topic,
                )
                for rewrite in kept
            ],
            source_format=Dataset.SourceFormat.CORPUS_BUILDER,
            test_ratio=build.test_ratio,
            licence_note=(
                f"Corpus build {build.name}: {build.input_name} rewritten by "
                f"{build.rewriter.name} with prompt {build.prompt}."
            ),
        )
    except DatasetImportError as error:
        raise GeneratorUnavailable(f"cannot write dataset {build.name}: {error}") from None
    dataset = Dataset.objects.filter(name=build.name).first()
    if dataset is not None and build.dataset_id != dataset.pk:
        build.dataset = dataset
        CorpusBuild.objects.filter(pk=build.pk).update(dataset=dataset)


def corpus_statistics_refresh(*, build: CorpusBuild) -> CorpusBuild:
    """The counts and the corpus figures the statistics page shows, stored on the build
    (the keywords take seconds on a large corpus: they are computed when it changes)."""
    rewrites = build.rewrites.all()
    statuses = Counter(rewrites.values_list("status", flat=True))
    rejected = Counter(
        rewrites.filter(status=RewriteStatus.REJECTED).values_list("reason_code", flat=True)
    )
    failed = Counter(rewrites.filter(status=RewriteStatus.FAILED).values_list("reason", flat=True))
    reviewed = Counter(rewrites.exclude(review="").values_list("review", flat=True))
    near = rewrites.filter(status=RewriteStatus.DUPLICATE, near_duplicate=True).count()
    in_corpus = list(
        rewrites.filter(status=RewriteStatus.ACCEPTED).order_by("pk").values_list("turns", "topic")
    )
    figures = corpus_statistics(
        [[Turn(turn["role"], turn["content"]) for turn in turns] for turns, _ in in_corpus],
        [topic for _, topic in in_corpus],
    )
    build.statistics = {
        **build.statistics,
        "rewrites": sum(statuses.values()),
        "status": {status: statuses.get(status, 0) for status in RewriteStatus.values},
        "rejected_by_reason": dict(rejected.most_common()),
        "failed_by_reason": dict(failed.most_common(5)),
        "quarantined": statuses.get(RewriteStatus.QUARANTINED, 0)
        + reviewed.get(CorpusRewrite.Review.ACCEPTED, 0)
        + reviewed.get(CorpusRewrite.Review.REJECTED, 0),
        "review": {
            "waiting": statuses.get(RewriteStatus.QUARANTINED, 0),
            "accepted": reviewed.get(CorpusRewrite.Review.ACCEPTED, 0),
            "rejected": reviewed.get(CorpusRewrite.Review.REJECTED, 0),
        },
        "duplicates": {
            "exact": statuses.get(RewriteStatus.DUPLICATE, 0) - near,
            "near": near,
        },
        "dialogues": figures.dialogues,
        "rounds": {str(rounds): count for rounds, count in figures.rounds.items()},
        "topics": figures.topics,
        "psychologist_words": [
            [word, round(weight, 6)] for word, weight in figures.psychologist_words
        ],
    }
    CorpusBuild.objects.filter(pk=build.pk).update(statistics=build.statistics)
    return build
