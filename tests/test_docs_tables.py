"""The documentation's error table says what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import byot_core.domain.call_control as call_control
import byot_core.domain.errors as errors
from byot_core.domain.call_control import MSG_DTMF
from byot_core.domain.errors import ByotError
from byot_core.domain.trunk_draft import (
    MSG_AUTH_TYPE,
    MSG_GATEWAY_REQUIRED,
    MSG_IP_IDENTIFIERS_REQUIRED,
    MSG_NAME_REQUIRED,
    MSG_PROVIDER_REQUIRED,
    MSG_USERPASS_REQUIRED,
)
from byot_core.web import http_status

ERRORS_PAGE = Path(__file__).parents[1] / "docs" / "errors.md"


def table() -> dict[str, tuple[int, str]]:
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \| (.+?) \|$", ERRORS_PAGE.read_text(), re.MULTILINE)
    return {code: (int(status), message) for code, status, message in rows}


def test_error_classes_match_the_table() -> None:
    """Each error class's code, message and HTTP status are the ones the page documents."""
    documented = table()
    found = [*vars(errors).values(), *vars(call_control).values()]
    classes = [c for c in found if isinstance(c, type) and issubclass(c, ByotError)]
    checked = 0
    for cls in classes:
        try:
            error = cls()  # type: ignore[call-arg]
        except TypeError:
            continue  # errors built with a message or problems: their codes are checked below
        if error.code in documented:
            assert documented[error.code] == (http_status(error), error.message), error.code
            checked += 1
    assert checked >= 10


def test_guide_messages_match_the_table() -> None:
    """The guide's validation messages appear in the table with status 400."""
    documented = {message for status, message in table().values() if status == 400}
    for message in (MSG_NAME_REQUIRED, MSG_PROVIDER_REQUIRED, MSG_AUTH_TYPE, MSG_GATEWAY_REQUIRED,
                    MSG_USERPASS_REQUIRED, MSG_IP_IDENTIFIERS_REQUIRED, MSG_DTMF):  # fmt: skip
        assert message in documented, message
