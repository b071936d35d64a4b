"""Reading the guide's JSON request bodies field by field, collecting every problem with its path.

Request bodies arrive as decoded JSON (mappings, lists, strings, numbers, booleans, ``None``). JSON booleans are not
integers here, and integers are not booleans: ``"port": true`` and ``"inbound_enabled": 1`` are both refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.missing import MISSING, Missing

__all__ = ["MISSING", "FieldReader", "Missing", "as_mapping"]


def as_mapping(payload: object, what: str = "request body") -> Mapping[str, object]:
    """Return the payload as a mapping of field names, or raise :class:`ValidationFailed` if it is not an object."""
    if not isinstance(payload, Mapping) or not all(isinstance(key, str) for key in payload):
        raise ValidationFailed.single("", "invalid_body", f"{what} must be a JSON object")
    return payload


class FieldReader:
    """Reads typed fields out of one JSON object, appending a :class:`Problem` for each bad one."""

    def __init__(self, data: Mapping[str, object], prefix: str, problems: list[Problem]) -> None:
        self.data = data
        self.prefix = prefix
        self.problems = problems

    def path(self, name: str) -> str:
        """The dotted path of a field of this object."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, code: str, message: str) -> None:
        """Record a problem with a field."""
        self.problems.append(Problem(self.path(name), code, message))

    def invalid(self, name: str, reason: str) -> None:
        """Record that a field's value is refused, with the field's path leading the message."""
        self.fail(name, "invalid_field", f"{self.path(name)} {reason}")

    def present(self, name: str) -> bool:
        """Whether the field was sent (even as ``null``)."""
        return name in self.data

    def text(
        self,
        name: str,
        *,
        nullable: bool = True,
        check: Callable[[str], str | None] | None = None,
    ) -> str | Missing | None:
        """A string field: the string, ``None`` for ``null`` (when ``nullable``), or ``MISSING``."""
        if name not in self.data:
            return MISSING
        value = self.data[name]
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.invalid(name, "must be a string")
            return MISSING
        if check is not None:
            reason = check(value)
            if reason is not None:
                self.invalid(name, reason)
                return MISSING
        return value

    def flag(self, name: str) -> bool | Missing:
        """A boolean field: ``true`` or ``false`` only."""
        if name not in self.data:
            return MISSING
        value = self.data[name]
        if not isinstance(value, bool):
            self.invalid(name, "must be true or false")
            return MISSING
        return value

    def integer(self, name: str, low: int | None = None, high: int | None = None) -> int | Missing:
        """An integer field, within ``low``..``high`` (inclusive) when given; booleans and floats are refused."""
        if name not in self.data:
            return MISSING
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self.invalid(name, "must be an integer")
            return MISSING
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
            self.invalid(name, f"must be an integer {bounds}")
            return MISSING
        return value

    def array(self, name: str) -> Sequence[object] | Missing | None:
        """A list field: the list, ``None`` for ``null``, or ``MISSING``."""
        if name not in self.data:
            return MISSING
        value = self.data[name]
        if value is None:
            return None
        if not isinstance(value, list):
            self.invalid(name, "must be a list")
            return MISSING
        return value

    def item_reader(self, name: str, index: int, item: object) -> FieldReader | None:
        """A reader for one object inside a list field, or ``None`` (with a problem) if the item is not an object."""
        return self._nested(f"{self.path(name)}[{index}]", item)

    def object_reader(self, name: str) -> FieldReader | None:
        """A reader for an object field, or ``None`` (with a problem) if it is not an object; absent is not checked."""
        return self._nested(self.path(name), self.data.get(name))

    def _nested(self, path: str, value: object) -> FieldReader | None:
        if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
            self.problems.append(Problem(path, "invalid_field", f"{path} must be an object"))
            return None
        return FieldReader(value, path, self.problems)

    def refuse_unknown(self, allowed: frozenset[str], hint: str = "") -> None:
        """Record a problem for every field not in ``allowed``, so that a typo is never silently ignored."""
        for name in sorted(set(self.data) - allowed):
            self.fail(name, "unknown_field", f"Unknown field '{self.path(name)}'{hint}")
