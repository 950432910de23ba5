"""`manage.py import_dataset` end to end, on real SMILECHAT files and hand-made bad input."""

from __future__ import annotations

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from generation import services
from generation.dialogues import split_for
from generation.models import Dataset, Sample

pytestmark = pytest.mark.django_db


def run_import(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_dataset", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def expected_samples(dialogues: list[list[dict]]) -> int:
    """Counselor turns with a client turn somewhere before them, counted independently."""
    total = 0
    for turns in dialogues:
        roles = [turn["role"] for turn in turns]
        first_client = roles.index("client") if "client" in roles else len(roles)
        total += sum(1 for role in roles[first_client:] if role == "counselor")
    return total


def write_soulchat(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- real data --------------------------------------------------------------------------


@pytest.mark.shared_data
def test_it_imports_the_published_raw_files(smilechat: Path):
    raw = sorted((smilechat / "raw").glob("*.json"))
    source = [json.loads(path.read_text(encoding="utf-8")) for path in raw]
    out, _ = run_import(str(smilechat / "raw"), "--format", "smilechat", "--name", "smile-raw")
    dataset = Dataset.objects.get(name="smile-raw")
    assert dataset.samples.count() == expected_samples(source) == 1143
    assert dataset.samples.values("dialogue_id").distinct().count() == len(raw) == 200
    assert "200 imported (1143 samples)" in out

    # Spot-check one sample against its file: context is every turn before the reference.
    first = json.loads((smilechat / "raw" / "1010.json").read_text(encoding="utf-8"))
    sample = dataset.samples.get(source_id="1010#3")
    assert sample.reference == first[3]["content"].strip()
    assert [turn["content"] for turn in sample.context] == [t["content"] for t in first[:3]]
    assert [turn["role"] for turn in sample.context] == ["user", "psychologist", "user"]


@pytest.mark.shared_data
def test_it_imports_the_json_lines_dev_set_and_a_rerun_adds_nothing(smilechat: Path):
    path = smilechat / "dev.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        source = [json.loads(line) for line in stream]
    run_import(str(path), "--format", "smilechat", "--name", "smile-dev", "--seed", "7")
    dataset = Dataset.objects.get(name="smile-dev")
    assert dataset.samples.count() == expected_samples([r["dialogue"] for r in source]) == 11268
    # The split is per dialogue, and it is what the documented hash gives.
    for record in source[:50]:
        splits = set(dataset.samples.filter(dialogue_id=record["id"]).values_list("split", flat=1))
        assert splits == {
            split_for(dataset_name="smile-dev", dialogue_id=record["id"], test_ratio=0.1, seed="7")
        }
    test_share = dataset.samples.filter(split="test").values("dialogue_id").distinct().count()
    assert 140 <= test_share <= 260  # 2,000 dialogues at 0.1: 200 ± 4.3 standard deviations

    out, _ = run_import(str(path), "--format", "smilechat", "--name", "smile-dev", "--seed", "7")
    assert "0 imported (0 samples), 2000 already present" in out
    assert "nothing new to import" in out
    assert dataset.samples.count() == 11268


@pytest.mark.shared_data
def test_raw_files_and_dev_lines_agree_on_shared_dialogues(smilechat: Path):
    run_import(str(smilechat / "raw"), "--format", "smilechat", "--name", "both")
    # Every raw dialogue is also in dev.jsonl.gz, so only the other 1,800 are new.
    out, _ = run_import(str(smilechat / "dev.jsonl.gz"), "--format", "smilechat", "--name", "both")
    assert "1800 imported" in out
    assert "200 already present" in out
    assert Sample.objects.filter(dataset__name="both").count() == 11268


# --- formats and role maps --------------------------------------------------------------


def test_soulchat_directory_with_a_role_map(tmp_path: Path):
    folder = tmp_path / "corpus"
    write_soulchat(
        folder, "a.txt", "来访者：我失眠了\n心理咨询师：多久了？\n来访者：一个月\n心理咨询师：嗯"
    )
    write_soulchat(folder, "b.txt", "来访者：x\n心理咨询师：y\n===\n来访者：z\n心理咨询师：w")
    run_import(
        str(folder), "--format", "soulchat", "--roles", "来访者=user,心理咨询师=psychologist"
    )
    dataset = Dataset.objects.get(name="corpus")
    assert sorted(dataset.samples.values_list("source_id", flat=True)) == [
        "a#1",
        "a#3",
        "b#1#1",
        "b#2#1",
    ]
    assert dataset.samples.get(source_id="a#3").context == [
        {"role": "user", "content": "我失眠了"},
        {"role": "psychologist", "content": "多久了？"},
        {"role": "user", "content": "一个月"},
    ]


def test_chatml_lines(tmp_path: Path):
    path = tmp_path / "chat.jsonl"
    rows = [
        {
            "id": "q1",
            "topic": "情绪",
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {"role": "assistant", "content": "a"},
            ],
        },
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    run_import(str(path), "--format", "chatml", "--test-ratio", "1")
    sample = Sample.objects.get(dataset__name="chat")
    assert (sample.source_id, sample.topic, sample.split, sample.reference) == (
        "q1#1",
        "情绪",
        "test",
        "a",
    )


# --- bad input --------------------------------------------------------------------------


def test_malformed_rows_are_reported_with_place_and_reason_and_skipped(tmp_path: Path):
    good = {
        "id": "ok",
        "dialogue": [{"role": "client", "content": "x"}, {"role": "counselor", "content": "y"}],
    }
    lonely = {"id": "lonely", "dialogue": [{"role": "counselor", "content": "y"}]}
    nested = "[" * 100_000 + "]" * 100_000
    lines = [json.dumps(good), "{oops", json.dumps(lonely), json.dumps(good), nested]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    out, err = run_import(str(path), "--format", "smilechat")
    assert f"skipped {path}:2: not valid JSON" in err
    assert f"skipped {path}:3: no psychologist turn follows a user turn" in err
    assert f"skipped {path}:4: duplicate id 'ok' (first at {path}:1)" in err
    assert f"skipped {path}:5: JSON nested deeper than 64 levels" in err
    assert "1 imported (1 samples)" in out
    assert "4 skipped" in out
    assert Sample.objects.filter(dataset__name="mixed").count() == 1


def test_a_file_that_fails_midway_leaves_the_database_as_it_was(tmp_path, settings, monkeypatch):
    settings.SOULEVAL_IMPORT_BATCH_SIZE = 10  # so rows are written before the failure
    line = {"dialogue": [{"role": "client", "content": "x"}, {"role": "counselor", "content": "y"}]}
    body = "".join(json.dumps({**line, "id": str(n)}) + "\n" for n in range(500)).encode()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(body)[:-40])
    # Streamed files are those above the threshold; make this one count as big.
    monkeypatch.setattr(services.datasets, "STREAM_THRESHOLD_BYTES", 0)
    with pytest.raises(CommandError, match="nothing could be imported"):
        run_import(str(path), "--format", "smilechat", "--name", "cut")
    assert not Dataset.objects.filter(name="cut").exists()
    assert Sample.objects.count() == 0


def test_ids_from_a_rolled_back_file_can_still_come_from_a_later_file(
    tmp_path, settings, monkeypatch
):
    settings.SOULEVAL_IMPORT_BATCH_SIZE = 10
    monkeypatch.setattr(services.datasets, "STREAM_THRESHOLD_BYTES", 0)
    line = {"dialogue": [{"role": "client", "content": "x"}, {"role": "counselor", "content": "y"}]}
    body = "".join(json.dumps({**line, "id": str(n)}) + "\n" for n in range(500))
    (tmp_path / "1-cut.jsonl.gz").write_bytes(gzip.compress(body.encode())[:-40])
    (tmp_path / "2-whole.jsonl").write_text(body, encoding="utf-8")
    out, err = run_import(str(tmp_path), "--format", "smilechat", "--name", "again")
    assert "duplicate id" not in err
    assert "500 imported (500 samples)" in out
    assert "1 file(s) unreadable" in out
    assert Sample.objects.filter(dataset__name="again").count() == 500


def test_an_unreadable_file_in_a_directory_adds_nothing_and_the_rest_import(tmp_path: Path):
    turns = [{"role": "client", "content": "x"}, {"role": "counselor", "content": "y"}]
    (tmp_path / "1.json").write_text(json.dumps(turns), encoding="utf-8")
    (tmp_path / "2.json").write_text('[{"role": "client", "content": "x"}', encoding="utf-8")
    out, err = run_import(str(tmp_path), "--format", "smilechat", "--name", "dir")
    assert f"unreadable file: {tmp_path / '2.json'}: not valid JSON" in err
    assert "1 imported" in out
    assert "1 file(s) unreadable" in out
    assert list(Sample.objects.values_list("source_id", flat=True)) == ["1#1"]


def test_nothing_importable_exits_nonzero_and_creates_no_dataset(tmp_path: Path):
    path = write_soulchat(tmp_path, "empty.txt", "只是一段文字，没有角色。")
    with pytest.raises(CommandError, match="nothing could be imported"):
        run_import(str(path), "--format", "soulchat")
    assert Dataset.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.txt", "--format", "soulchat"], "does not exist"),
        (["{dir}", "--format", "soulchat", "--roles", "a=b"], "--roles: role map item"),
        (["{dir}", "--format", "soulchat", "--name", "has space"], "dataset name 'has space'"),
        (["{dir}", "--format", "soulchat", "--test-ratio", "1.5"], "between 0 and 1"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_stored(tmp_path, args, message):
    write_soulchat(tmp_path, "a.txt", "用户：x\n心理咨询师：y")
    args = [arg.replace("{dir}", str(tmp_path)) for arg in args]
    with pytest.raises(CommandError, match=message):
        run_import(*args)
    assert Dataset.objects.count() == 0


def test_importing_into_a_dataset_split_another_way_is_refused(tmp_path: Path):
    path = write_soulchat(tmp_path, "a.txt", "用户：x\n心理咨询师：y")
    run_import(str(path), "--format", "soulchat", "--name", "d")
    with pytest.raises(CommandError, match=r"split with test ratio 0\.1 and seed '0'"):
        run_import(str(path), "--format", "soulchat", "--name", "d", "--seed", "9")
    with pytest.raises(CommandError, match=r"split with test ratio 0\.1"):
        run_import(str(path), "--format", "soulchat", "--name", "d", "--test-ratio", "0.2")


def test_the_import_refreshes_the_dataset_statistics(tmp_path, django_capture_on_commit_callbacks):
    path = write_soulchat(
        tmp_path,
        "s.txt",
        "用户：a\n心理咨询师：bb\n用户：c\n心理咨询师：dddd\n===\n用户：e\n心理咨询师：ff",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_import(str(path), "--format", "soulchat", "--test-ratio", "0")
    dataset = Dataset.objects.get(name="s")
    assert dataset.stats_updated_at is not None
    assert dataset.stats["dialogues"] == 2
    assert dataset.stats["samples"] == 3
    assert dataset.stats["samples_per_split"] == {"train": 3}
    assert dataset.stats["mean_context_turns"] == pytest.approx((1 + 3 + 1) / 3, abs=1e-3)
    assert dataset.stats["mean_reference_chars"] == pytest.approx(8 / 3, abs=1e-3)


def test_progress_reaches_exactly_the_total_the_command_announces(tmp_path: Path):
    write_soulchat(tmp_path, "a.txt", "用户：x\n心理咨询师：y")
    write_soulchat(tmp_path, "b.txt", "用户：z\n心理咨询师：w\n===\n用户：u\n心理咨询师：v")
    (tmp_path / "notes.md").write_text("not part of the corpus " * 50, encoding="utf-8")
    write_soulchat(tmp_path / "nested", "c.txt", "用户：not read\n心理咨询师：not read")
    reported: list[int] = []
    services.dataset_import(
        path=tmp_path, source_format="soulchat", name="p", progress=reported.append
    )
    expected = (tmp_path / "a.txt").stat().st_size + (tmp_path / "b.txt").stat().st_size
    assert sum(reported) == expected
    assert services.dataset_import_size(path=tmp_path, source_format="soulchat") == expected
