"""Management commands of the check-worthiness ranker. They touch no database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.suggestions.training import DEFAULT_DATA_DIR


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_rank_checkworthy_prints_every_line_in_input_order(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text(
        "7\tTRUMP\tThank you very much.\t0\n"
        "3\tTRUMP\tWe lost 70,000 factories and 5 million jobs since 2001.\t1\n"
        "\n"
        "12\tHOLT\tLet's move on.\n",
        encoding="utf-8",
    )
    lines = _run("rank_checkworthy", str(path)).splitlines()
    assert [line.split("\t")[0] for line in lines] == ["7", "3", "12"]
    scores = [float(line.split("\t")[1]) for line in lines]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > scores[0]


def test_rank_checkworthy_reports_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("1\tA\tFine.\nnot a transcript line\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.tsv:2: expected 3 or 4 tab-separated fields"):
        _run("rank_checkworthy", str(path))


def test_rank_checkworthy_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        _run("rank_checkworthy", str(tmp_path / "missing.tsv"))


def test_evaluate_checkworthy_on_two_small_transcripts(tmp_path: Path) -> None:
    for name in ("20181010_medicare", "20190108_oval_office"):
        (tmp_path / f"{name}.tsv").write_bytes((DEFAULT_DATA_DIR / f"{name}.tsv").read_bytes())
    out = _run("evaluate_checkworthy", "--data", str(tmp_path))
    lines = out.splitlines()
    assert lines[0] == "transcript\tkind\tC\tsentences\tpositives\tAP\tP@5\tP@10"
    # One transcript to train on leaves nothing to choose C with: the default.
    assert lines[1].startswith("20181010_medicare\tspeech\t1\t44\t11\t")
    assert lines[3].startswith("MEAN (2 transcripts)\t\t\t115\t20\t")
    assert lines[4].startswith("MAP speeches (2)\t") and len(lines) == 5  # no debates among them


def test_train_checkworthy_check_detects_difference(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    name = "20190108_oval_office.tsv"
    (data / name).write_bytes((DEFAULT_DATA_DIR / name).read_bytes())
    model = tmp_path / "model.json"
    assert "wrote" in _run("train_checkworthy", "--data", str(data), "--output", str(model))
    assert "identical" in _run("train_checkworthy", "--data", str(data), "--output", str(model), "--check")
    model.write_bytes(model.read_bytes().replace(b'"intercept":', b'"intercept": '))
    with pytest.raises(CommandError, match="differs"):
        _run("train_checkworthy", "--data", str(data), "--output", str(model), "--check")
