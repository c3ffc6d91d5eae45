"""Requests checked against the control API's OpenAPI document before anything runs.

``resources/schemas/control-api.openapi.json`` is the one description of every route: its
parameters, bodies, types, ranges and lengths.  :class:`ApiDescription` reads it once and
checks a request's path parameters, query and JSON body with ``jsonschema`` (the document's
schemas are JSON Schema 2020-12, as OpenAPI 3.1 defines them).  A request that does not match
raises :class:`RequestShapeError` naming the field in words; the guard answers 400 and the show
never sees it.  Command bodies take only the documented fields; unknown query parameters are
refused the same way.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from studio.control.errors import RequestShapeError
from studio.core.i18n import _
from studio.core.paths import RESOURCES_DIR

DOCUMENT_PATH = RESOURCES_DIR / "schemas" / "control-api.openapi.json"
_BASE_URI = "urn:bridgecast:control-api"
# Deeper than any command (a run-of-show's flash-sale action is 5 levels); deep nesting only
# costs the parser and the validator time.
MAX_JSON_DEPTH = 32
_QUOTED_CHARS = 40
_INTEGER = re.compile(r"[+-]?\d{1,18}")
# The document's format for text drawn on the program.  A control character (but the line
# break), an unassigned, private-use or surrogate code point shows viewers an empty box, and a
# paragraph separator makes the text shaper (raqm) fail: such text is refused here, before it
# reaches a card.
DISPLAY_TEXT = "display-text"
_UNDRAWABLE_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs", "Zp"})


def is_display_text(value: Any) -> bool:
    """Whether ``value`` (when it is text) can be drawn on a card."""
    if not isinstance(value, str):
        return True  # "type" says what is wrong with a non-string
    return all(ch == "\n" or unicodedata.category(ch) not in _UNDRAWABLE_CATEGORIES for ch in value)


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks(DISPLAY_TEXT)(is_display_text)


@dataclass(frozen=True)
class Operation:
    """One documented method on one route: validators for its parameters and body."""

    path_params: Mapping[str, jsonschema.protocols.Validator]
    query_params: Mapping[str, tuple[dict[str, Any], jsonschema.protocols.Validator]]
    body: jsonschema.protocols.Validator | None
    is_body_required: bool


class ApiDescription:
    """The OpenAPI document as request checks.  Thread-safe once built (validators are read-only)."""

    def __init__(self, document: dict[str, Any], raw: bytes | None = None) -> None:
        self.document = document
        self.raw = raw if raw is not None else json.dumps(document, ensure_ascii=False).encode()
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(_BASE_URI, resource)
        self.operations: dict[tuple[str, str], Operation] = {}
        for template, item in document["paths"].items():
            for method, spec in item.items():
                pointer = "/paths/" + _escape(template) + "/" + method
                self.operations[(method.upper(), template)] = self._operation(spec, pointer)

    @classmethod
    @functools.cache
    def load(cls) -> "ApiDescription":
        raw = DOCUMENT_PATH.read_bytes()
        return cls(json.loads(raw), raw)

    def operation(self, method: str, template: str) -> Operation | None:
        return self.operations.get((method.upper(), template))

    def check(self, operation: Operation, path_params: Mapping[str, str], query: Iterable[tuple[str, str]],
              raw_body: bytes | None) -> Any:
        """The request's JSON body (``{}`` when there is none) if it matches; else :class:`RequestShapeError`."""
        for name, value in path_params.items():
            validator = operation.path_params.get(name)
            if validator is not None:
                _raise_first(validator, value, name)
        seen: set[str] = set()
        for name, value in query:
            if name not in operation.query_params:
                raise RequestShapeError(_("Unknown query parameter “{name}”.").format(name=_quoted(name)))
            if name in seen:
                raise RequestShapeError(_("The query parameter “{name}” is given more than once.").format(name=name))
            seen.add(name)
            schema, validator = operation.query_params[name]
            _raise_first(validator, _query_value(value, schema), name)
        if not raw_body or not raw_body.strip():  # no body at all ("null" is a body, and not an object)
            if operation.body is not None and operation.is_body_required:
                raise RequestShapeError(_("This request needs a JSON body."))
            return {}
        body = parse_json(raw_body)
        if operation.body is None:
            return {}
        _raise_first(operation.body, body, "")
        return body

    def _operation(self, spec: dict[str, Any], pointer: str) -> Operation:
        path_params: dict[str, jsonschema.protocols.Validator] = {}
        query_params: dict[str, tuple[dict[str, Any], jsonschema.protocols.Validator]] = {}
        for index, parameter in enumerate(spec.get("parameters", [])):
            validator = self._validator(f"{pointer}/parameters/{index}/schema")
            if parameter["in"] == "path":
                path_params[parameter["name"]] = validator
            elif parameter["in"] == "query":
                query_params[parameter["name"]] = (parameter["schema"], validator)
        body = spec.get("requestBody")
        body_validator = None if body is None else self._validator(
            f"{pointer}/requestBody/content/application~1json/schema")
        return Operation(path_params, query_params, body_validator, bool(body and body.get("required")))

    def _validator(self, pointer: str) -> jsonschema.protocols.Validator:
        return jsonschema.Draft202012Validator({"$ref": f"{_BASE_URI}#{pointer}"}, registry=self._registry,
                                               format_checker=_FORMATS)


def parse_json(raw: bytes | None) -> Any:
    """A request body as JSON (None for no body or ``null``); NaN, Infinity, bytes that are not
    UTF-8 and nesting deeper than ``MAX_JSON_DEPTH`` are refused in words."""
    if not raw or not raw.strip():
        return None
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RequestShapeError(_("The request body is not valid JSON.")) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise RequestShapeError(_("The request body is nested more than {count} levels deep.").format(count=MAX_JSON_DEPTH))
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are Python's extensions, not JSON


def _depth(value: Any) -> int:
    """How deep ``value`` nests; :class:`RequestShapeError` for text that is not Unicode (a lone
    surrogate such as "\\ud800" is valid JSON but can be neither stored nor sent back)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            if isinstance(item, dict):
                for key in item:
                    _check_text(key)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestShapeError(_("The request body has text that is not valid Unicode (a lone surrogate).")) from None


def _query_value(value: str, schema: dict[str, Any]) -> Any:
    # A query is text; the document types its values as JSON would.
    if schema.get("type") == "integer" and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return value


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


def _raise_first(validator: jsonschema.protocols.Validator, value: Any, name: str) -> None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        raise RequestShapeError(_words(error, name))


def _field(error: jsonschema.ValidationError, name: str) -> str:
    parts = [name] if name else []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts).replace(".[", "[") or _("the request body")


def _words(error: jsonschema.ValidationError, name: str) -> str:
    field = _quoted(_field(error, name))
    kind, expected, schema = error.validator, error.validator_value, error.schema
    if kind == "required":
        missing = next((n for n in expected if isinstance(error.instance, dict) and n not in error.instance), expected[0])
        inner = _field(error, name)
        return _("“{field}” is required.").format(field=_quoted(missing if inner == _("the request body") else f"{inner}.{missing}"))
    if kind == "additionalProperties":
        known = schema.get("properties", {})
        extra = str(next((n for n in error.instance if n not in known), "?"))
        inner = _field(error, name)
        return _("“{field}” is not a field of this request.").format(
            field=_quoted(extra if inner == _("the request body") else f"{inner}.{extra}"))
    if kind == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return _("“{field}” must be {kinds}.").format(field=field, kinds=_(" or ").join(_type_words(k) for k in kinds))
    if kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return _("“{field}” must be between {low} and {high}.").format(field=field, low=_number(low), high=_number(high))
        if low is not None:
            return _("“{field}” must be at least {low}.").format(field=field, low=_number(low))
        return _("“{field}” must be at most {high}.").format(field=field, high=_number(high))
    if kind == "maxLength":
        return _("“{field}” is at most {count} characters; this one has {length}.").format(
            field=field, count=expected, length=len(error.instance))
    if kind == "minLength":
        return _("“{field}” must not be empty.").format(field=field)
    if kind == "enum":
        return _("“{field}” must be one of: {values}.").format(field=field, values=", ".join(str(v) for v in expected))
    if kind == "const":
        return _("“{field}” must be {value}.").format(field=field, value=json.dumps(expected))
    if kind == "maxItems":
        return _("“{field}” holds at most {count} items.").format(field=field, count=expected)
    if kind == "maxProperties":
        return _("“{field}” has more than {count} fields.").format(field=field, count=expected)
    if kind == "format" and expected == DISPLAY_TEXT:
        return _("“{field}” has a control, private-use or unassigned character, which cannot be shown on screen.").format(field=field)
    if kind == "pattern":
        return _("“{field}” is not in the expected form (see the API document).").format(field=field)
    if kind in ("oneOf", "anyOf"):
        # The form the value is meant to be (its type matches) says what is wrong with it.
        meant = [e for e in error.context or () if not (e.validator == "type" and len(e.relative_path) == 0)]
        inner = jsonschema.exceptions.best_match(meant) if meant else None
        if inner is not None:
            return _words(inner, name)
        return _("“{field}” matches none of the accepted forms.").format(field=field)
    return _("“{field}” is not valid.").format(field=field)


def _type_words(kind: str) -> str:
    words = {"integer": _("a whole number"), "number": _("a number"), "string": _("text"), "boolean": _("true or false"),
             "array": _("a list"), "object": _("an object"), "null": _("null")}
    return words.get(kind, kind)


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else str(value)


def _quoted(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS - 1] + "…"
