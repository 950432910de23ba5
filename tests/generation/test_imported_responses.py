"""Imported systems: responses read from a JSON-lines file, matched only by id."""

from __future__ import annotations

import json

import pytest

from generation.models import GenerationJob, Response, Sample
from generation.services import generation_job_create, generation_job_run, system_save
from tests.support.factories import DatasetFactory, SampleFactory

pytestmark = pytest.mark.django_db


def run(path, samples) -> GenerationJob:
    system = system_save(name="file", fields={"kind": "imported", "responses_file": str(path)})
    job = generation_job_create(system=system, samples=samples, enqueue=False)
    return generation_job_run(job_id=job.pk)


def test_responses_are_matched_by_sample_id_or_source_id(tmp_path):
    first, second, third = SampleFactory(), SampleFactory(), SampleFactory()
    other = SampleFactory(dataset=DatasetFactory(), dialogue_id=first.dialogue_id)
    lines = [
        {"sample_id": first.pk, "response": "第一条"},
        {"source_id": second.source_id, "response": ""},
        {"source_id": third.source_id, "dataset": third.dataset.name, "response": "第三条"},
        {"sample_id": 999999, "response": "无人认领"},
        {"source_id": "nowhere#1", "response": "无人认领"},
        {"sample_id": first.pk},
        "not an object",
    ]
    path = tmp_path / "answers.jsonl"
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n{broken\n",
        encoding="utf-8",
    )
    job = run(path, Sample.objects.exclude(pk=other.pk))
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert dict(Response.objects.values_list("sample_id", "text")) == {
        first.pk: "第一条",
        second.pk: "",
        third.pk: "第三条",
    }
    assert job.notes.splitlines() == [
        "answers.jsonl:4: sample_id 999999 is not a sample of this job",
        "answers.jsonl:5: source id 'nowhere#1' is not a sample of this job",
        'answers.jsonl:6: "response" must be a string',
        "answers.jsonl:7: not a JSON object",
        "answers.jsonl:8: not a JSON object (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))",
    ]


def test_a_sample_missing_from_the_file_or_answered_twice_is_not_guessed(tmp_path):
    answered, missing, twice = SampleFactory(), SampleFactory(), SampleFactory()
    path = tmp_path / "answers.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {"sample_id": answered.pk, "response": "a"},
                {"sample_id": twice.pk, "response": "b"},
                {"sample_id": twice.pk, "response": "c"},
            ]
        ),
        encoding="utf-8",
    )
    with path.open("a", encoding="utf-8") as lines:
        lines.write("\n" + "[" * 100_000)
    job = run(path, Sample.objects.all())
    assert job.status == GenerationJob.Status.FAILED
    assert "answers.jsonl:4: not a JSON object (JSON nested deeper than 64 levels)" in job.notes
    assert list(Response.objects.values_list("sample_id", flat=True)) == [answered.pk]
    assert dict(job.failures.values_list("sample_id", "reason")) == {
        missing.pk: "no response for this sample in answers.jsonl",
        twice.pk: "answers.jsonl has different responses for it (lines 2, 3)",
    }


def test_a_source_id_in_two_datasets_of_the_job_needs_the_dataset(tmp_path):
    first = SampleFactory(dialogue_id="same")
    SampleFactory(dialogue_id="same", dataset=DatasetFactory())
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"source_id": first.source_id, "response": "?"}), encoding="utf-8")
    job = run(path, Sample.objects.all())
    assert not Response.objects.exists()
    assert 'is in several datasets of this job; add "dataset"' in job.notes


def test_a_missing_file_fails_the_job_at_once(tmp_path):
    SampleFactory()
    job = run(tmp_path / "absent.jsonl", Sample.objects.all())
    assert job.status == GenerationJob.Status.FAILED
    assert job.error == f"system file: responses file not found at {tmp_path / 'absent.jsonl'}"
    assert not job.failures.exists()


def test_a_listener_that_fails_on_a_batch_does_not_stop_the_job(tmp_path, caplog):
    from generation.signals import generation_responses_stored

    sample = SampleFactory()
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"sample_id": sample.pk, "response": "嗯"}), encoding="utf-8")

    def broken(sender, **kwargs) -> None:
        raise RuntimeError("listener down")

    generation_responses_stored.connect(broken)
    try:
        job = run(path, Sample.objects.filter(pk=sample.pk))
    finally:
        generation_responses_stored.disconnect(broken)
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert Response.objects.filter(sample=sample).count() == 1
    assert "listener down" in caplog.text
