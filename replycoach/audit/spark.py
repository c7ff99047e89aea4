"""The audit as a PySpark job, for chat logs that live in a data warehouse
(``pip install "replycoach[spark]"``).

::

    from replycoach.spark import audit
    findings = audit(spark.table("cs.chat_messages"))

``audit(df)`` groups the messages by conversation and runs the same per-conversation audit as
``replycoach audit`` on the executors (``applyInPandas``; the engine is pickled once into the
function), returning one row per finding. The results equal the single-machine audit's
(tested in local mode). Columns of ``df``: ``conversation``, ``role`` (customer/agent),
``text``, and optionally ``agent``, ``time`` (ISO-8601 string or epoch seconds) and an order
column (``seq`` by default; without one, the order messages are read in).

Submitting to a cluster: ship the package to the executors, e.g.
``spark-submit --py-files replycoach.zip job.py`` or install ``replycoach[spark]`` on every
node (or in the cluster's Python environment), then call :func:`audit` in the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine import Engine
from . import TimingRule, audit_conversation, load_timing_rules
from .transcripts import Message, parse_time

FINDINGS_SCHEMA = (
    "conversation string, message int, role string, agent string, time double, "
    "rule string, severity string, start int, end int, excerpt string, description string"
)


def _rows(
    engine: Engine, timing: Sequence[TimingRule], records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The findings of one conversation, from its messages as plain records (in order)."""
    messages = [
        Message(
            str(r["conversation"]),
            str(r["role"]),
            "" if r.get("text") is None else str(r["text"]),
            parse_time(r.get("time")),
            None if r.get("agent") is None else str(r["agent"]),
        )
        for r in records
    ]
    result = audit_conversation(engine, messages, timing)
    return [
        {
            "conversation": f.conversation,
            "message": f.index,
            "role": f.role,
            "agent": f.agent,
            "time": f.time,
            "rule": f.finding.rule,
            "severity": f.finding.severity.value,
            "start": f.finding.start,
            "end": f.finding.end,
            "excerpt": f.finding.excerpt,
            "description": f.finding.message,
        }
        for f in result.findings
    ]


def audit(
    df: Any,
    *,
    engine: Engine | None = None,
    timing: Sequence[TimingRule] | None = None,
    order: str = "seq",
) -> Any:
    """Audit a Spark DataFrame of messages; one row per finding (``FINDINGS_SCHEMA``)."""
    import pandas as pd
    from pyspark.sql import functions as F

    engine = engine or Engine.default()
    timing = list(load_timing_rules() if timing is None else timing)
    if order not in df.columns:
        df = df.withColumn(order, F.monotonically_increasing_id())
    columns = ["conversation", "role", "text", "agent", "time"]
    for name in columns:
        if name not in df.columns:
            df = df.withColumn(name, F.lit(None).cast("string"))
    df = df.select(*columns, F.col(order).alias("_order"))

    def per_conversation(group: pd.DataFrame) -> pd.DataFrame:
        records = group.sort_values("_order", kind="stable").to_dict("records")
        rows = _rows(engine, timing, records)
        return pd.DataFrame(rows, columns=[c.split()[0] for c in FINDINGS_SCHEMA.split(", ")])

    return df.groupBy("conversation").applyInPandas(per_conversation, FINDINGS_SCHEMA)
