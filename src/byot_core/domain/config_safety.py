"""Config safety: values that reach Asterisk configuration must not be able to change its meaning.

In ``pjsip.conf`` a newline starts a new line, ``;`` starts a comment, ``[`` and ``]`` frame a section, edge spaces
are stripped, and ``,`` separates list items; over ARI the same values travel inside objects whose list options are
comma-separated. Rather than escape such characters (and surprise someone later), input holding them is refused.
"""

from __future__ import annotations

import re

__all__ = ["MAX_TEXT_LENGTH", "config_value_problem", "text_problem"]

#: The longest free text (names, descriptions) the library accepts.
MAX_TEXT_LENGTH = 255

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONFIG_SPECIAL = re.compile(r"[;\[\]\x00-\x1f\x7f]")


def text_problem(value: str, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Why free text (never sent to Asterisk) is refused, or ``None``: control characters, or too long."""
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if _CONTROL.search(value):
        return "must not contain control characters or line breaks"
    return None


def config_value_problem(value: str, *, list_item: bool = False, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Why a value that reaches Asterisk configuration is refused, or ``None`` when it is safe.

    ``list_item`` also refuses ``,``, for values Asterisk reads as one item of a comma-separated list.
    """
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if value != value.strip():
        return "must not start or end with spaces"
    found = _CONFIG_SPECIAL.search(value)
    if found is not None:
        return "must not contain ';', '[', ']', control characters or line breaks"
    if list_item and "," in value:
        return "must not contain ','"
    return None
