"""The PySpark entry point in local mode: its findings equal the single-machine audit's."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="no Java (apt-get install default-jre-headless)"
)

from pyspark.sql import SparkSession  # noqa: E402

from replycoach import Engine  # noqa: E402
from replycoach.audit import audit_all, load_timing_rules  # noqa: E402
from replycoach.audit.transcripts import conversations, read_messages  # noqa: E402
from replycoach.spark import audit  # noqa: E402

from .conftest import ROOT, SHARED  # noqa: E402


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("replycoach-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


def _local(path: str) -> set[tuple[object, ...]]:
    errors: list[object] = []
    result = audit_all(
        Engine.default(),
        conversations(read_messages(path), errors),  # type: ignore[arg-type]
        load_timing_rules(),
    )
    return {
        (f.conversation, f.index, f.finding.rule, f.finding.start, f.finding.end)
        for f in result.findings
    }


def _records(path: str, limit: int | None = None) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    for i, row in enumerate(rows):
        row.setdefault("seq", i)
        row["seq"] = i  # file order, as the single-machine audit reads it
        row["time"] = None if row.get("time") is None else str(row["time"])
        row.setdefault("agent", None)
    return rows[:limit] if limit else rows


@pytest.mark.parametrize("source", ["example", "corpus"])
def test_spark_audit_equals_the_single_machine_audit(
    spark: SparkSession, source: str, tmp_path: object
) -> None:
    if source == "example":
        path = str(ROOT / "examples" / "transcripts.jsonl")
        records = _records(path)
    else:
        corpus = SHARED / "corpus" / "transcripts.jsonl"
        if not corpus.is_file():
            pytest.skip("no ../shared corpus")
        records = _records(str(corpus), 3000)
        local_file = tmp_path / "part.jsonl"  # type: ignore[operator]
        local_file.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        path = str(local_file)
    columns = ["conversation", "role", "text", "agent", "time", "seq"]
    df = spark.createDataFrame(
        [{c: r.get(c) for c in columns} for r in records],
        "conversation string, role string, text string, agent string, time string, seq long",
    )
    rows = audit(df).collect()
    got = {(r["conversation"], r["message"], r["rule"], r["start"], r["end"]) for r in rows}
    expected = _local(path)
    assert got == expected and len(expected) > 10
