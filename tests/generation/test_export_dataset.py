"""`manage.py export_dataset`: the layouts training tools read, and bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from generation.models import Sample
from generation.services import dataset_import
from tests.support.paths import REPO_ROOT

pytestmark = pytest.mark.django_db

CORPUS = "用户：我睡不着\n心理咨询师：多久了？\n用户：一个月\n心理咨询师：一定很累吧"


@pytest.fixture
def dataset(tmp_path: Path) -> str:
    path = tmp_path / "talks.txt"
    path.write_text(CORPUS + "\n===\n用户：<b>x</b>\n心理咨询师：=1+1", encoding="utf-8")
    dataset_import(path=path, source_format="soulchat", name="talks", test_ratio=0.0)
    return "talks"


def export(*args: str) -> tuple[list[dict], str]:
    out, err = StringIO(), StringIO()
    call_command("export_dataset", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_soulchat_sft_lines_are_input_and_target(dataset):
    records, err = export(dataset, "--split", "train", "--format", "soulchat-sft")
    assert records[:2] == [
        {"input": "用户：我睡不着\n心理咨询师：", "target": "多久了？"},
        {
            "input": "用户：我睡不着\n心理咨询师：多久了？\n用户：一个月\n心理咨询师：",
            "target": "一定很累吧",
        },
    ]
    assert len(records) == 3
    assert "3 samples of talks (train)" in err


def test_chatml_export_imports_back_to_the_same_references(dataset, tmp_path: Path):
    output = tmp_path / "out.jsonl"
    export(dataset, "--split", "all", "--format", "chatml", "--output", str(output))
    records = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert records[0]["id"] == "talks#1#1"
    assert records[0]["messages"][-1] == {"role": "assistant", "content": "多久了？"}
    assert not (tmp_path / "out.jsonl.partial").exists()

    call_command("import_dataset", str(output), "--format", "chatml", "--name", "again",
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip
    # An exported context holds earlier psychologist turns, which become samples too.
    again = Sample.objects.filter(dataset__name="again").values_list("reference", flat=True)
    original = Sample.objects.filter(dataset__name="talks").values_list("reference", flat=True)
    assert set(again) == set(original)
    assert len(again) == 1 + 2 + 1


def test_a_split_with_no_samples_writes_nothing(dataset):
    records, err = export(dataset, "--split", "test", "--format", "chatml")
    assert records == []
    assert "0 samples" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--split", "train", "--format", "chatml"], "no dataset named 'nope'"),
        (["talks", "--split", "train", "--format", "chatml", "--output", "/no/such/dir/x"],
         "folder /no/such/dir does not exist"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused(dataset, args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_a_reader_that_stops_early_ends_the_export_quietly(tmp_path: Path):
    corpus = tmp_path / "c.txt"
    corpus.write_text((CORPUS + "\n===\n") * 300, encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "true",
        "SOULEVAL_VAR_DIR": str(tmp_path / "var"),
    }
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "-v", "0"], ["import_dataset", str(corpus), "--format", "soulchat"]):
        subprocess.run(manage + args, cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    export = subprocess.Popen(
        [*manage, "export_dataset", "c", "--split", "all", "--format", "chatml"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    first_line = export.stdout.readline()
    export.stdout.close()  # as `| head -1` does
    _, err = export.communicate(timeout=60)
    assert json.loads(first_line)["id"].startswith("c#")
    assert export.returncode == 0
    assert b"Traceback" not in err
