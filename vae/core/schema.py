"""Versioned JSON files ↔ dataclasses: the one set of rules by which config.json and card.json are read.

A file carries "schema_version". Reading is strict: an unknown key is refused with its name, and so
is a missing one, unless its field may be left out: its default is None (a value that does not
apply, e.g. the IW bound of a CelebA model) or the field is declared with `added_in` and the file's
version is older than that field. A file without a version, or newer than the code, is refused
rather than half read.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from pathlib import Path
from typing import Any

SCHEMA_KEY = "schema_version"


def added_in(version: int, default: Any) -> Any:
    """A dataclass field added in schema `version`: files of an earlier version may omit it and read as `default`."""
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"added_in": version})
    return dataclasses.field(default=default, metadata={"added_in": version})


def file_version(data: Any, current: int, source: str, noun: str, error: type[Exception]) -> int:
    """The schema version of a JSON object read from `source`; refuses a non-object, an object without
    one and a version this code does not know."""
    if not isinstance(data, dict):
        raise error(f"{source}: expected a JSON object, got {type(data).__name__}")
    if SCHEMA_KEY not in data:
        raise error(
            f"{source}: missing {noun} key(s) {[SCHEMA_KEY]}; every {noun} file states its {SCHEMA_KEY} (this code writes {current})"
        )
    version = data[SCHEMA_KEY]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise error(f"{source}: {SCHEMA_KEY} must be a positive integer, got {version!r}")
    if version > current:
        raise error(f"{source}: {noun} {SCHEMA_KEY} {version} is newer than this code reads ({current}); update the code")
    return version


def read_json(path: Path, what: str, error: type[Exception]) -> Any:
    """The JSON value in `path`; `error` naming the file when it is missing or not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise error(f"{path}: not valid JSON ({err})") from None


def init_kwargs(cls: type, data: Any, version: int, source: str, noun: str, error: type[Exception]) -> dict[str, Any]:
    """The constructor keywords of dataclass `cls` from a JSON object of schema `version`: unknown keys
    and missing required ones are refused with their names; fields that may be left out get their
    defaults from the constructor."""
    if not isinstance(data, dict):
        raise error(f"{source}: expected a JSON object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    known = sorted(fields)
    unknown = sorted(set(data) - set(fields) - {SCHEMA_KEY})
    if unknown:
        raise error(f"{source}: unknown {noun} key(s) {unknown}; known keys are {known}")
    missing = sorted(name for name, f in fields.items() if name not in data and not _may_omit(f, version))
    if missing:
        raise error(f"{source}: missing {noun} key(s) {missing}; known keys are {known}")
    return {k: v for k, v in data.items() if k != SCHEMA_KEY}


def _may_omit(f: dataclasses.Field, version: int) -> bool:
    return f.default is None or f.metadata.get("added_in", 1) > version


def check_types(obj: Any, error: type[Exception]) -> None:
    """Refuse a dataclass whose field values do not match their annotations (JSON types: an int is a
    valid float, a bool is neither)."""
    cls: type = type(obj)  # annotated: mypy takes type[Any] for unhashable (python/mypy#11470)
    hints = _type_hints(cls)
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not _matches(value, hints[f.name]):
            raise error(f"{f.name} must be {_describe(hints[f.name])}, got {value!r}"[:300])


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return "a list of " + {int: "integers", float: "numbers", str: "strings"}.get(item, f"{_describe(item)} objects")
    names = {int: "an integer", float: "a number", str: "a string", type(None): "null"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))
