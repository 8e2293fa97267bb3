"""Data kept as YAML files checked against a JSON Schema (controlled vocabularies, the law).

One loader for every such file, so that a broken file is reported the same way everywhere:
the file, the field at fault (``terms[3].code``) and the schema that rejected it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import VestigeError


def field_path(path: Any) -> str:
    """A JSON path like ``terms[3].code`` from a jsonschema error path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def load_checked_yaml(
    path: Path, schema_path: Path, error: type[VestigeError] = VestigeError
) -> dict[str, Any]:
    """Read ``path`` as YAML and check it against the JSON Schema at ``schema_path``.

    Raises ``error`` naming the file, the first failing field and the schema (with how many
    more failures there are), so a maintainer can fix the file without a traceback.
    """
    import jsonschema

    if not path.exists():
        raise error(f"{path} does not exist")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{path}: cannot be read as YAML: {exc}") from exc
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise error(
            f"{path}: field {field_path(first.absolute_path)}: {first.message}"
            f" (schema {schema_path.name}){more}"
        )
    if not isinstance(document, dict):  # pragma: no cover - every schema requires an object
        raise error(f"{path}: not a mapping")
    return document
