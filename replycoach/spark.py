"""The documented entry point ``replycoach.spark.audit``.

The code lives in :mod:`replycoach.audit.spark`.
"""

from __future__ import annotations

from .audit.spark import audit

__all__ = ["audit"]
