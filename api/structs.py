"""Response Structs built from row objects whose attributes carry most of their fields."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

StructT = TypeVar("StructT", bound=msgspec.Struct)


def struct_from_row(cls: type[StructT], row: object, **shown_otherwise: Any) -> StructT:
    """`cls` with each field read from the row attribute of the same name, except the fields given
    as keywords (the ones the API shows differently from how they are stored)."""
    fields = {name: getattr(row, name) for name in cls.__struct_fields__ if name not in shown_otherwise}
    return cls(**fields, **shown_otherwise)
