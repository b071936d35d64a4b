"""Settings and composition for the ``byot`` command and the reference server.

The one place, outside any driving adapter, where the library is opened on a database, its secrets and a telephony.

Settings come from arguments or the environment: ``BYOT_DATABASE_URL`` (a URL or a plain SQLite file path; default
``sqlite:///byot.sqlite3`` in the current folder, migrated on first start), ``BYOT_SECRET_KEYS`` (otherwise, for an
SQLite file only, a key file beside it, made on first start with mode 0600), and for Asterisk ``BYOT_ARI_URL`` (one
or more nodes, comma-separated; without it the telephony is the fake one), ``BYOT_ARI_USER``, ``BYOT_ARI_PASSWORD`` and
``BYOT_ARI_APP`` (default ``byot``). ``BYOT_API_KEYS`` is read here too, for the server. ``BYOT_AGENT_MEDIA_URL``
(a ``ws://``/``wss://`` template naming any of the call's fields, such as ``{agent_id}``) connects every answered call
to its agent's media WebSocket in the protocol ``BYOT_AGENT_MEDIA_PROTOCOL`` (``twilio``, the default, or
``asterisk``); without it calls are answered and recorded only. ``BYOT_RECORDINGS_DIR`` (default ``byot-recordings``
in the current folder) is where calls' recordings are kept, one WAV file each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs
from sqlalchemy.engine import make_url

from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.adapters.defaults import DEFAULT_DATABASE_URL
from byot_core.adapters.fake_telephony import FakeTelephony
from byot_core.adapters.fernet_secrets import ENV_VAR as SECRET_KEYS_VAR
from byot_core.adapters.fernet_secrets import FernetSecretBox, SecretsNotConfigured, new_key
from byot_core.adapters.memory import FixedBalance, RecordingInboundHandler
from byot_core.adapters.metrics import PrometheusMetrics
from byot_core.adapters.recording_stores import FolderRecordingStore
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql.agents import SqlAgentDirectory
from byot_core.adapters.sql.engine import database_url
from byot_core.adapters.system import SystemClock, UlidFactory
from byot_core.composition import build
from byot_core.domain.errors import ValidationFailed
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.services.app import Byot

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AsteriskNotConfigured",
    "Core",
    "Settings",
    "open_core",
    "secret_box",
]


class AsteriskNotConfigured(ValueError):
    """An Asterisk setting is missing or malformed."""


#: Where the reference server keeps calls' recordings unless ``BYOT_RECORDINGS_DIR`` says otherwise.
DEFAULT_RECORDINGS_DIR = "byot-recordings"


@attrs.frozen
class Settings:
    """What ``byot serve`` (and every other command) runs on. Secrets are left out of the ``repr``."""

    database_url: str = DEFAULT_DATABASE_URL
    api_keys: str | None = attrs.field(default=None, repr=False)
    secret_keys: str | None = attrs.field(default=None, repr=False)
    ari_urls: tuple[str, ...] = ()
    ari_user: str | None = None
    ari_password: str | None = attrs.field(default=None, repr=False)
    ari_app: str = "byot"
    agent_media_url: str | None = None
    agent_media_protocol: str = "twilio"
    recordings_dir: str = DEFAULT_RECORDINGS_DIR

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str | None) -> Settings:
        """Settings from the environment, with explicit values (command-line options) taking precedence.

        The ARI password is read from ``BYOT_ARI_PASSWORD`` only: on a command line it would show in process lists.
        """
        env = environ if environ is not None else os.environ

        def pick(name: str, variable: str) -> str | None:
            return overrides.get(name) or env.get(variable) or None

        ari_url = pick("ari_url", "BYOT_ARI_URL") or ""
        return cls(
            database_url=database_url(pick("database_url", "BYOT_DATABASE_URL") or DEFAULT_DATABASE_URL),
            api_keys=pick("api_keys", "BYOT_API_KEYS"),
            secret_keys=env.get(SECRET_KEYS_VAR) or None,
            ari_urls=tuple(u.strip() for u in ari_url.split(",") if u.strip()),
            ari_user=pick("ari_user", "BYOT_ARI_USER"),
            ari_password=env.get("BYOT_ARI_PASSWORD") or None,
            ari_app=pick("ari_app", "BYOT_ARI_APP") or "byot",
            agent_media_url=pick("agent_media_url", "BYOT_AGENT_MEDIA_URL"),
            agent_media_protocol=pick("agent_media_protocol", "BYOT_AGENT_MEDIA_PROTOCOL") or "twilio",
            recordings_dir=pick("recordings_dir", "BYOT_RECORDINGS_DIR") or DEFAULT_RECORDINGS_DIR,
        )

    def media_plan(self) -> MediaPlan | None:
        """Where answered calls' audio goes, or ``None`` when ``BYOT_AGENT_MEDIA_URL`` is not set.

        Raises ``ValidationFailed`` for a URL template or protocol that cannot be used.
        """
        if not self.agent_media_url:
            return None
        try:
            protocol = MediaProtocol(self.agent_media_protocol)
        except ValueError:
            raise ValidationFailed.single(
                "BYOT_AGENT_MEDIA_PROTOCOL",
                "invalid_media_protocol",
                "BYOT_AGENT_MEDIA_PROTOCOL must be twilio or asterisk",
            ) from None
        return MediaPlan(self.agent_media_url, protocol)

    def telephony(self) -> FakeTelephony | AriTelephony:
        """Asterisk over ARI on every configured node, or the fake telephony when no node is configured."""
        if not self.ari_urls:
            return FakeTelephony(keep_history=False)
        if not self.ari_user or not self.ari_password:
            raise AsteriskNotConfigured("Set BYOT_ARI_USER and BYOT_ARI_PASSWORD to use Asterisk (BYOT_ARI_URL is set)")
        try:
            clients = [AriClient(url, self.ari_user, self.ari_password, self.ari_app) for url in self.ari_urls]
        except ValueError as error:
            raise AsteriskNotConfigured(str(error)) from error
        return AriTelephony(clients)


def secret_box(settings: Settings, *, create: bool = True) -> tuple[FernetSecretBox, str | None]:
    """The secret box of these settings, and a note to print when a key file was made.

    The keys are ``BYOT_SECRET_KEYS``, else (SQLite only) the key file beside the database, made on first use when
    ``create``.
    """
    if settings.secret_keys:
        return FernetSecretBox([k for k in settings.secret_keys.split(",") if k.strip()]), None
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise SecretsNotConfigured(f"Set {SECRET_KEYS_VAR} (make a key with `byot keygen`) to use this database")
    key_file = Path(url.database).with_suffix(".secret-key")
    note = None
    if not key_file.exists() and not create:
        raise SecretsNotConfigured(
            f"No secret key: set {SECRET_KEYS_VAR} or start `byot serve` once to make {key_file}"
        )
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(new_key() + "\n")
        note = f"Made a secret key in {key_file} (mode 0600). In production set {SECRET_KEYS_VAR} instead."
    return FernetSecretBox([key_file.read_text().strip()]), note


@attrs.define
class Core:
    """The library composed on the settings' database, secrets and telephony (what every command needs)."""

    byot: Byot
    storage: SqlStorage
    telephony: FakeTelephony | AriTelephony
    agents: SqlAgentDirectory
    secret_note: str | None

    async def close(self) -> None:
        """Stop calls' media connections still being made, then release the database and the Asterisk connections."""
        await self.byot.deps.background.cancel()
        if isinstance(self.telephony, AriTelephony):
            await self.telephony.close()
        await self.storage.close()


async def open_core(settings: Settings, *, create_secret: bool = True) -> Core:
    """Open the database (migrating it), the secrets and the telephony, and compose the library on them."""
    telephony = settings.telephony()
    media_plan = settings.media_plan()
    secrets, secret_note = secret_box(settings, create=create_secret)
    metrics = PrometheusMetrics()
    if isinstance(telephony, AriTelephony):
        for client in telephony.clients:
            client.observer = metrics.telephony_request
        metrics.watch_gateways(telephony.health.reports)
    storage = await SqlStorage.open(settings.database_url, upgrade_schema=True)
    try:
        clock = SystemClock()
        agents = SqlAgentDirectory(storage.database, clock)
        byot = build(
            storage=storage,
            telephony=telephony,
            agents=agents,
            secrets=secrets,
            clock=clock,
            ids=UlidFactory(),
            balance=FixedBalance(),
            inbound_handler=RecordingInboundHandler(limit=100),
            media_plan=media_plan,
            recordings=FolderRecordingStore(settings.recordings_dir),
            metrics=metrics,
        )
        await byot.trunks.check_secrets()
    except BaseException:
        await storage.close()
        raise
    return Core(byot, storage, telephony, agents, secret_note)
