"""The rules of a secure trunk (beyond the guide): SRTP keys only over TLS, and the carrier's inbound username."""

from __future__ import annotations

from collections.abc import Mapping

from byot_core.domain.config_safety import config_value_problem
from byot_core.domain.errors import Problem
from byot_core.domain.trunk import TrunkSettings

__all__ = ["MSG_SDES_NEEDS_TLS", "draft_encryption_problems", "encryption_problems", "inbound_username_problems"]


MSG_SDES_NEEDS_TLS = (
    "media_encryption 'sdes' needs transport 'transport-tls': over UDP or TCP the SRTP keys would travel in clear"
)


def encryption_problems(settings: TrunkSettings) -> list[Problem]:
    """A trunk's whole settings: SRTP keys in the SDP (``sdes``) only over TLS."""
    if settings.media_encryption == "sdes" and settings.transport != "transport-tls":
        return [Problem("media_encryption", "sdes_needs_tls", MSG_SDES_NEEDS_TLS)]
    return []


def inbound_username_problems(value: str | None) -> list[Problem]:
    """The username carriers authenticate with: not blank, safe in Asterisk's configuration, at most 64 characters."""
    if value is None:
        return []
    path = "inbound_auth.username"
    if not value.strip():
        return [Problem(path, "inbound_auth_username_required", f"{path} is required")]
    reason = "must be at most 64 characters" if len(value) > 64 else config_value_problem(value, list_item=True)
    return [Problem(path, "invalid_field", f"{path} {reason}")] if reason is not None else []


def draft_encryption_problems(settings: Mapping[str, bool | int | str]) -> list[Problem]:
    """The encryption rule for the settings a draft gives (the others at their defaults)."""
    transport, encryption = settings.get("transport", "transport-udp"), settings.get("media_encryption", "none")
    if not (isinstance(transport, str) and isinstance(encryption, str)):
        return []  # refused on its own already
    return encryption_problems(TrunkSettings(transport=transport, media_encryption=encryption))
