"""run_eval's service and command: drawing, resuming, scoring, the study, bad input."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from annotation.models import Item, Study
from generation.models import Response, Sample
from reports.metrics import score_pairs
from reports.models import EvalRun, EvalSample, ResponseScore
from reports.services import EvalRunInvalid, RunRequest, eval_run_start
from tests.support.factories import DatasetFactory, SampleFactory, SystemFactory

pytestmark = pytest.mark.django_db


def test_a_run_draws_scores_and_opens_a_blind_study(world):
    run = world.run
    assert run.status == EvalRun.Status.RATING
    assert EvalSample.objects.filter(run=run).count() == 6
    assert EvalSample.objects.filter(run=run, human=True).count() == 3
    responses = Response.objects.filter(sample__eval_samples__run=run)
    assert ResponseScore.objects.filter(response__in=responses).count() == 12
    assert run.study.status == Study.Status.OPEN
    assert run.study.raters_per_item == 2
    # Every system's response to each human sample, and nothing else.
    items = Item.objects.filter(study=run.study)
    assert items.count() == 6
    human = set(EvalSample.objects.filter(run=run, human=True).values_list("sample_id", flat=True))
    assert {item.response.sample_id for item in items} == human
    assert world.systems[0].name not in run.study.title


def test_stored_scores_are_the_engines(world):
    for score in ResponseScore.objects.select_related("response__sample")[:6]:
        expected = score_pairs([(score.response.text, score.response.sample.reference)])[0]
        assert (score.bleu_1, score.rouge_l) == (expected[0], expected[6])
        assert score.empty == (score.response.text == "")


def test_responses_are_scored_batch_by_batch_before_their_job_ends(
    tmp_path, django_capture_on_commit_callbacks
):
    from generation.models import GenerationJob
    from generation.services import system_save
    from generation.signals import generation_job_finished

    dataset = DatasetFactory()
    samples = [SampleFactory(dataset=dataset, reference=f"你好{n}") for n in range(4)]
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "\n".join(f'{{"sample_id": {sample.pk}, "response": "你好"}}' for sample in samples),
        encoding="utf-8",
    )
    system = system_save(
        name="from-file", fields={"kind": "imported", "responses_file": str(answers)}
    )
    scored_when_the_job_ended = []

    def probe(sender, job_id: int, **kwargs) -> None:
        scored_when_the_job_ended.append(ResponseScore.objects.count())

    generation_job_finished.connect(probe)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run, _ = eval_run_start(request=RunRequest(
                datasets=[dataset], systems=[system], auto_samples=4, human_samples=1,
                raters_per_item=1,
            ))  # fmt: skip
    finally:
        generation_job_finished.disconnect(probe)
    assert GenerationJob.objects.get().status == GenerationJob.Status.SUCCEEDED
    assert scored_when_the_job_ended == [4]
    run.refresh_from_db()
    assert run.status == EvalRun.Status.RATING


def test_a_job_outside_any_run_is_not_scored(tmp_path):
    from generation.services import generation_job_create, generation_job_run, system_save

    sample = SampleFactory()
    answers = tmp_path / "answers.jsonl"
    answers.write_text(f'{{"sample_id": {sample.pk}, "response": "嗯"}}', encoding="utf-8")
    system = system_save(name="plain", fields={"kind": "imported", "responses_file": str(answers)})
    samples = Sample.objects.filter(pk=sample.pk)
    job = generation_job_create(system=system, samples=samples, enqueue=False)
    assert generation_job_run(job_id=job.pk).status == "succeeded"
    assert Response.objects.count() == 1
    assert ResponseScore.objects.count() == 0


def test_the_same_arguments_resume_the_same_run(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run, created = eval_run_start(
        request=RunRequest(
            datasets=[world.dataset], systems=list(reversed(world.systems)),
            auto_samples=6, human_samples=3, raters_per_item=2,
        )
    )  # fmt: skip
    assert not created
    assert run.pk == world.run.pk
    assert EvalRun.objects.count() == 1
    assert Study.objects.count() == 1
    assert ResponseScore.objects.count() == 12


def test_the_draw_is_reproducible_and_depends_on_the_seed(world):
    def drawn(seed: int, raters: int) -> set[int]:
        run, _ = eval_run_start(
            request=RunRequest(
                datasets=[world.dataset], systems=world.systems, auto_samples=3,
                human_samples=0, raters_per_item=raters, seed=seed,
            )
        )  # fmt: skip
        return set(EvalSample.objects.filter(run=run).values_list("sample_id", flat=True))

    assert drawn(seed=1, raters=2) == drawn(seed=1, raters=3)
    # Two seeds may draw the same few samples by chance (the dataset's name, random
    # here, is part of the seed): five seeds all drawing alike would not be chance.
    assert len({frozenset(drawn(seed=seed, raters=2)) for seed in range(1, 6)}) > 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"auto_samples": 99}, "has 8 test samples"),
        ({"human_samples": 7}, "more than --auto"),
        ({"raters_per_item": 0}, "--raters must be at least 1"),
        ({"auto_samples": 0}, "--auto must be at least 1"),
        ({"systems": []}, "at least one system"),
        ({"human_samples": -1}, "--human must be 0 or more"),
        ({"datasets": "twice"}, "a dataset is named twice"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_stored(changes, message):
    dataset = DatasetFactory()
    for _ in range(8):
        SampleFactory(dataset=dataset)
    arguments = {
        "datasets": [dataset], "systems": [SystemFactory()], "auto_samples": 6,
        "human_samples": 3, "raters_per_item": 2, **changes,
    }  # fmt: skip
    if arguments["datasets"] == "twice":
        arguments["datasets"] = [dataset, dataset]
    with pytest.raises(EvalRunInvalid, match=message):
        eval_run_start(request=RunRequest(**arguments))
    assert EvalRun.objects.count() == 0
    assert Study.objects.count() == 0


def test_the_command_refuses_unknown_names_and_prints_the_dashboard(
    world, capsys, django_capture_on_commit_callbacks
):
    with pytest.raises(CommandError, match="no system named 'ghost'"):
        call_command("run_eval", "--dataset", world.dataset.name, "--systems", "ghost")
    with pytest.raises(CommandError, match="no dataset"):
        call_command("run_eval", "--dataset", "ghost", "--systems", world.systems[0].name)
    names = ",".join(system.name for system in world.systems)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "run_eval", "--dataset", world.dataset.name, "--systems", names,
            "--auto", "6", "--human", "3", "--raters", "2", "--wait",
        )  # fmt: skip
    out = capsys.readouterr()
    assert f"/admin/reports/evalrun/{world.run.pk}/dashboard/" in out.out
    assert "resumed" in out.err
    assert "B-1" in out.out
    assert "R-L" in out.out
    assert EvalRun.objects.count() == 1
