"""The schema of configuration files (pydantic), imported only when a file is validated;
:class:`replycoach.config.Settings` holds the result."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .model import Position


class ConfigModel(BaseModel):
    """The keys of a configuration file (hyphenated in the file)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    fail_on: Literal["error", "warning", "info", "never"] = Field("warning", alias="fail-on")
    default_rules: bool = Field(True, alias="default-rules")
    rule_files: list[str] = Field(default_factory=list, alias="rule-files")
    enable: list[str] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list)
    select: list[str] | None = None
    severity: dict[str, Literal["error", "warning", "info"]] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    per_path_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-path-ignores")
    column: str | None = None
    position_column: str | None = Field(None, alias="position-column")
    position_map: dict[str, Position] = Field(default_factory=dict, alias="position-map")
    position: Position | None = None
    baseline: str | None = None
    packs: list[str] = Field(default_factory=list)
    rule_options: dict[str, dict[str, Any]] = Field(default_factory=dict, alias="rule-options")
    customer_column: str | None = Field(None, alias="customer-column")

    @field_validator("column", mode="before")
    @classmethod
    def _column_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value
