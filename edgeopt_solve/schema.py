"""Pydantic validation at the file boundary, with errors that name the field path.

Formulations describe their instance ``data`` with a :class:`StrictModel`; every value is
checked for type (strictly: no ``"3"`` for ``3``), finiteness (no NaN or inf) and unknown
keys before any solver sees it. :func:`validate` turns pydantic's errors into one
:class:`InvalidInstanceError` whose field path reads ``servers[2].capacity``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from edgeopt_solve.exceptions import InvalidInstanceError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every file schema: strict types, finite numbers, no unknown keys, frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


def field_path(loc: tuple[Any, ...]) -> str:
    """``("servers", 2, "capacity")`` -> ``"servers[2].capacity"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validate(model: type[M], data: Any, *, prefix: str | None = None) -> M:
    """Validate ``data`` against ``model``; raise :class:`InvalidInstanceError` naming the field.

    Parameters
    ----------
    model
        The schema class.
    data
        Parsed JSON (dicts, lists, numbers, strings).
    prefix
        Field path to put in front of the reported location (``"data"``).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        path = field_path(tuple(err.get("loc", ())))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        msg = err.get("msg", "invalid value")
        inp = err.get("input")
        if err.get("type") not in ("missing",) and _short(inp):
            msg = f"{msg} (got {inp!r})"
        raise InvalidInstanceError(msg, field=path or None) from None


def _short(value: Any) -> bool:
    return isinstance(value, int | float | str | bool) and len(repr(value)) <= 40


def require_signs(values: Any, *, positive: tuple[str, ...] = (),
                  nonnegative: tuple[str, ...] = (), prefix: str | None = None) -> None:
    """Raise :class:`InvalidInstanceError` for the first named field out of its sign range.

    Parameters
    ----------
    values
        A validated schema object (fields read with ``getattr``).
    positive, nonnegative
        Names of the fields that must be ``> 0`` and ``>= 0``.
    prefix
        Field path of ``values`` in the file (``"devices[3]"``), put in front of the name.
    """
    for names, ok, rule in ((positive, lambda v: v > 0, "> 0"),
                            (nonnegative, lambda v: v >= 0, ">= 0")):
        for name in names:
            value = getattr(values, name)
            if not ok(value):
                field = f"{prefix}.{name}" if prefix else name
                raise InvalidInstanceError(f"must be {rule}, got {value!r}", field=field)


class SchemaBacked:
    """Mixin for an instance dataclass validated by the :class:`StrictModel` ``SCHEMA``.

    Gives ``json_schema()`` (the file schema of the instance ``data``) and
    ``with_changes(**fields)`` (a copy with some fields replaced, validated again through
    ``from_dict``, so a change can never produce an instance a file could not hold).
    """

    SCHEMA: ClassVar[type[StrictModel]]

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the instance ``data``."""
        return cls.SCHEMA.model_json_schema()

    def with_changes(self, **changes: Any) -> Self:
        """A validated copy with some fields replaced (``deadline=...``)."""
        data = self.to_dict()  # type: ignore[attr-defined]
        data.update(changes)
        return type(self).from_dict(data)  # type: ignore[attr-defined]
