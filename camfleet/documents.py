"""Reading input files (JSON or YAML: fleet configs, bench profiles, price catalogs) with
one-line errors that name the file, the field and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from camfleet.errors import ConfigError

__all__ = ["load_document", "validate_document", "validation_message"]

ModelT = TypeVar("ModelT", bound=BaseModel)


def _where(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def validation_message(origin: str, error: ValidationError) -> str:
    """``origin: field.path: what is wrong (got X)``, plus a count of further problems."""
    first = error.errors()[0]
    where = _where(tuple(first["loc"]))
    got = first.get("input")
    got_text = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    more = len(error.errors()) - 1
    tail = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
    prefix = f"{origin}: {where}: " if where else f"{origin}: "
    return f"{prefix}{first['msg']}{got_text}{tail}"


def load_document(path: Path, what: str) -> Any:
    """Parse a JSON or YAML file; ``what`` says what the file should be, for the error message."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}; fix the {what} and retry"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}; fix the {what} and retry") from exc


def validate_document(model: type[ModelT], data: Any, origin: str) -> ModelT:
    """Validate parsed data against ``model``; errors name ``origin`` and the field."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{origin}: expected a mapping at the top level, got {kind}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(origin, exc)) from exc
