"""Per-message shape validation (§4.5) with Joi-style messages, as Expo's API historically produced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

# A checker returns None when the value is fine, else a message template in which "{label}" stands for the
# field path. Labels are only built on failure: this runs for every message on the hot path.
Checker = Callable[[Any], "str | None"]


class ValidationFailure(Exception):
    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _is_number(value: Any) -> bool:
    # bool is an int subclass in Python but not a JSON number.
    return type(value) is int or type(value) is float


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else '"{label}" must be a string'


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else '"{label}" must be a boolean'


def _number(value: Any) -> str | None:
    return None if _is_number(value) else '"{label}" must be a number'


def _ttl(value: Any) -> str | None:
    if not _is_number(value):
        return '"{label}" must be a number'
    return None if value >= 0 else '"{label}" must be greater than or equal to 0'


def _fraction(value: Any) -> str | None:
    if not _is_number(value):
        return '"{label}" must be a number'
    return None if 0 <= value <= 1 else '"{label}" must be between 0 and 1'


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else '"{label}" must be of type object'


def _one_of(*allowed: str) -> Checker:
    problem = '"{label}" must be one of [' + ", ".join(allowed) + "]"
    allowed_set = frozenset(allowed)

    def check(value: Any) -> str | None:
        return None if isinstance(value, str) and value in allowed_set else problem

    return check


def _badge(value: Any) -> str | None:
    if not _is_number(value) or (type(value) is float and not value.is_integer()):
        return '"{label}" must be an integer'
    return None if value >= 0 else '"{label}" must be greater than or equal to 0'


def _sound(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    if not isinstance(value, dict):
        return '"{label}" must be a string, null or an object'
    if "critical" in value and not isinstance(value["critical"], bool):
        return '"{label}.critical" must be a boolean'
    if "name" in value and value["name"] is not None and not isinstance(value["name"], str):
        return '"{label}.name" must be a string or null'
    if "volume" in value:
        problem = _fraction(value["volume"])
        return None if problem is None else problem.replace("{label}", "{label}.volume")
    return None


def _rich_content(value: Any) -> str | None:
    if not isinstance(value, dict):
        return '"{label}" must be of type object'
    if "image" in value and not isinstance(value["image"], str):
        return '"{label}.image" must be a string'
    return None


def _to(value: Any) -> str | None:
    if isinstance(value, str):
        return None if value else '"{label}" is not allowed to be empty'
    if isinstance(value, list):
        if not value:
            return '"{label}" must contain at least 1 items'
        for i, item in enumerate(value):
            if not isinstance(item, str):
                return '"{label}[' + str(i) + ']" must be a string'
            if not item:
                # Joi's string() rejects "" by default; the stricter choice per the fidelity rule.
                return '"{label}[' + str(i) + ']" is not allowed to be empty'
        return None
    return '"{label}" must be a string or an array of strings'


_CHECKS: dict[str, Checker] = {
    "to": _to,
    "data": _object,
    "ttl": _ttl,
    "expiration": _number,
    "priority": _one_of("default", "normal", "high"),
    "interruptionLevel": _one_of("active", "critical", "passive", "time-sensitive"),
    "sound": _sound,
    "badge": _badge,
    "richContent": _rich_content,
    # Newer Node SDK fields (§1.2, PR #284) are known keys, so strict mode does not reject them.
    "relevanceScore": _fraction,
    "targetContentId": _string,
    "filterCriteria": _string,
}
for _name in (
    "title",
    "body",
    "subtitle",
    "channelId",
    "categoryId",
    "icon",
    "collapseId",
    "tag",
    "threadId",
):
    _CHECKS[_name] = _string
for _name in ("mutableContent", "_contentAvailable", "contentAvailable", "_displayInForeground"):
    _CHECKS[_name] = _boolean

KNOWN_FIELDS = frozenset(_CHECKS)


def validate_message(message: Any, index: int, *, strict_unknown_fields: bool) -> None:
    """Raise ValidationFailure for the first problem; the caller rejects the whole request on it."""
    if not isinstance(message, dict):
        label = f"messages[{index}]"
        raise ValidationFailure(f'"{label}" must be of type object', label)
    if "to" not in message:
        label = f"messages[{index}].to"
        raise ValidationFailure(f'"{label}" is required', label)
    checks = _CHECKS
    for key, value in message.items():
        check = checks.get(key)
        if check is None:
            if strict_unknown_fields:
                label = f"messages[{index}].{key}"
                raise ValidationFailure(f'"{label}" is not allowed', label)
            continue
        problem = check(value)
        if problem is not None:
            label = f"messages[{index}].{key}"
            message_text = problem.replace("{label}", label)
            # The path is the quoted part of the message, e.g. messages[0].sound.volume.
            raise ValidationFailure(message_text, message_text.split('"')[1])


# Fast path ----------------------------------------------------------------------------------------------
# The per-key Python checks above cost a few microseconds per message; msgspec's C validator costs a
# fraction of that. The typed schema below is kept at least as strict as the Python rules (never more
# lenient), so when it accepts a request the Python rules would too. When it rejects, the Python rules
# run and have the final word, and they also produce the Joi-style message.

_NonEmpty = Annotated[str, Meta(min_length=1)]
_Fraction = Annotated[float, Meta(ge=0, le=1)]


# gc=False: these are throwaway objects, created by the hundred per request; keep them off the GC's books.
class _Sound(msgspec.Struct, gc=False):
    critical: bool = False
    name: str | None = None
    volume: _Fraction = 0.0


class _RichContent(msgspec.Struct, gc=False):
    image: str = ""


_FAST_TYPES: dict[str, Any] = {
    "to": _NonEmpty | Annotated[list[_NonEmpty], Meta(min_length=1)],
    "data": dict[str, Any],
    "ttl": Annotated[float, Meta(ge=0)],
    "expiration": float,
    "priority": Literal["default", "normal", "high"],
    "interruptionLevel": Literal["active", "critical", "passive", "time-sensitive"],
    "sound": str | None | _Sound,
    "badge": Annotated[int, Meta(ge=0)],
    "richContent": _RichContent,
    "relevanceScore": _Fraction,
}
for _name, _check in _CHECKS.items():
    if _check is _string:
        _FAST_TYPES[_name] = str
    elif _check is _boolean:
        _FAST_TYPES[_name] = bool
assert set(_FAST_TYPES) == KNOWN_FIELDS, "fast-path schema out of sync with _CHECKS"

# Struct fields may not start with "_", so every field gets a neutral name and is renamed to its JSON key.
_FIELDS: list[tuple[str, Any] | tuple[str, Any, Any]] = [
    (f"f{i}", typ, msgspec.UNSET) for i, typ in enumerate(_FAST_TYPES.values())
]
_FIELDS[0] = ("f0", _FAST_TYPES["to"])  # `to` is required
_RENAME = {f"f{i}": key for i, key in enumerate(_FAST_TYPES)}


def _message_struct(strict: bool) -> Any:
    return msgspec.defstruct(
        "StrictMessage" if strict else "Message",
        _FIELDS,
        rename=_RENAME,
        forbid_unknown_fields=strict,
        gc=False,
    )


_MESSAGE_LISTS: dict[bool, Any] = {
    strict: list.__class_getitem__(_message_struct(strict)) for strict in (False, True)
}


def validate_messages(messages: list[Any], *, strict_unknown_fields: bool) -> None:
    """Raise ValidationFailure for the first invalid message (by index)."""
    try:
        msgspec.convert(messages, _MESSAGE_LISTS[strict_unknown_fields])
        return
    except msgspec.ValidationError:
        pass
    for index, message in enumerate(messages):
        validate_message(message, index, strict_unknown_fields=strict_unknown_fields)
