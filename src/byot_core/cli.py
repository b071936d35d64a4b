"""The ``byot`` command.

- ``byot serve`` runs the reference HTTP API (the guide's endpoints) on SQLite by default.
- ``byot demo`` walks the guide's four steps in memory, printing the guide's JSON for every answer.
- ``byot db upgrade`` brings a database's schema up to this version's.
- ``byot keygen`` prints a new key for ``BYOT_SECRET_KEYS``.
- ``byot pjsip render`` prints the ``pjsip.conf`` Asterisk would get, for every active trunk or one (passwords
  redacted unless ``--show-secrets``).
- ``byot asterisk dialplan`` prints the ``extensions.conf`` contexts every node needs, for one or several instances.
- ``byot reconcile`` applies every trunk's configuration to Asterisk, with a progress bar.

Database settings: ``--database-url`` or ``BYOT_DATABASE_URL``; without either, ``byot.sqlite3`` in the current
folder. Asterisk: ``--ari-url`` or ``BYOT_ARI_URL`` (nodes, comma-separated), ``--ari-user`` or ``BYOT_ARI_USER``,
``BYOT_ARI_PASSWORD`` (environment only), ``--ari-app`` or ``BYOT_ARI_APP``. Exit codes: 0 success, 1 a refused
operation, an unreachable service or trunks left out of sync, 2 a usage error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

from byot_core import commands
from byot_core.adapters.defaults import DEFAULT_DATABASE_URL
from byot_core.domain.errors import ByotError

__all__ = ["main"]

try:
    import click

    _HAS_CLICK = True
except ImportError:  # the core install has no click; `byot` then says what to install
    _HAS_CLICK = False


def _run(work: Any) -> int:
    """Run a command, turning the library's errors and unreachable services into exit code 1."""
    try:
        return int(work())
    except ByotError as error:
        print(f"byot: {error.message} ({error.code})", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        # An unreachable database or a malformed URL: said plainly, never with a password in it.
        print(f"byot: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def _cli() -> Any:
    database_option = click.option(
        "--database-url",
        envvar="BYOT_DATABASE_URL",
        default=DEFAULT_DATABASE_URL,
        show_default=True,
        help="sqlite:///path or postgresql://user@host/db (also BYOT_DATABASE_URL)",
    )

    @click.group(help="Bring Your Own Trunk: SIP trunks for voice AI agents.")
    @click.version_option(package_name="byot-core", prog_name="byot", message="%(prog)s %(version)s")
    def group() -> None:
        pass

    @group.command(help="Walk the guide's four steps on in-memory storage and a fake telephony, printing each "
                   "request and the guide's JSON answer.")  # fmt: skip
    def demo() -> None:
        from byot_core.demo import walk_the_guide

        sys.exit(_run(lambda: asyncio.run(walk_the_guide())))

    @group.command(
        "demo-agent",
        help="Serve a demo agent's media WebSocket: it greets each caller with a chime, then echoes what it hears. "
        "Point BYOT_AGENT_MEDIA_URL at it (for example ws://127.0.0.1:8765/{agent_id}) and call a DID.",
    )
    @click.option(
        "--protocol", type=click.Choice(["twilio", "asterisk"]), default="twilio", show_default=True,
        help="the media protocol to speak (as BYOT_AGENT_MEDIA_PROTOCOL)",
    )  # fmt: skip
    @click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
    @click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="port to listen on")
    def demo_agent(protocol: str, host: str, port: int) -> None:
        from byot_core.demo_agent import DemoAgent, serve_forever

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        agent = DemoAgent(protocol, host, port)
        print(f"Demo agent ({protocol} protocol) on {agent.url}; set BYOT_AGENT_MEDIA_URL={agent.url}/{{agent_id}}")

        def run() -> int:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve_forever(agent))
            return 0

        sys.exit(_run(run))

    def asterisk_options(command: Any) -> Any:
        options = [
            click.option(
                "--ari-url",
                envvar="BYOT_ARI_URL",
                default=None,
                help="Asterisk ARI base URLs, comma-separated, e.g. http://10.0.0.5:8088 (also BYOT_ARI_URL; "
                "without it the telephony is a fake). The password is read from BYOT_ARI_PASSWORD only.",
            ),
            click.option("--ari-user", envvar="BYOT_ARI_USER", default=None, help="ARI user (also BYOT_ARI_USER)"),
            click.option(
                "--ari-app", envvar="BYOT_ARI_APP", default="byot", show_default=True, help="Stasis application name"
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    def settings_of(database_url: str, ari_url: str | None, ari_user: str | None, ari_app: str, **more: Any) -> Any:
        from byot_core.runtime import Settings

        return Settings.from_env(database_url=database_url, ari_url=ari_url, ari_user=ari_user, ari_app=ari_app, **more)

    @group.command(help="Run the reference HTTP API (the guide's endpoints); migrates the database on first start.")
    @click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="port to listen on")
    @database_option
    @click.option("--api-keys", envvar="BYOT_API_KEYS", default=None, help="key=account,… (also BYOT_API_KEYS)")
    @click.option(
        "--access-log",
        is_flag=True,
        envvar="BYOT_ACCESS_LOG",
        help="log a line per HTTP request (also BYOT_ACCESS_LOG)",
    )
    @click.option(
        "--log-level", envvar="BYOT_LOG_LEVEL", default="warning", show_default=True,
        type=click.Choice(["debug", "info", "warning", "error"]),
        help="the library's log level; info shows each inbound call's routing, refusals included (also BYOT_LOG_LEVEL)",
    )  # fmt: skip
    @asterisk_options
    def serve(
        host: str, port: int, database_url: str, api_keys: str | None, access_log: bool, log_level: str, **ari: Any
    ) -> None:
        settings = settings_of(database_url, api_keys=api_keys, **ari)
        sys.exit(_run(lambda: commands.serve(host, port, settings, access_log=access_log, log_level=log_level)))

    @group.command(help="Apply every trunk's configuration to the Asterisk nodes, with a progress bar: create what "
                   "is missing, fix what differs, remove what belongs to inactive or deleted trunks. Exits 1 if "
                   "any trunk is left out of sync.")  # fmt: skip
    @database_option
    @asterisk_options
    @click.option(
        "--thorough",
        is_flag=True,
        help="also look for leftover objects of trunks stored as applied whose objects all match (twice the requests)",
    )
    def reconcile(database_url: str, thorough: bool, **ari: Any) -> None:
        sys.exit(_run(lambda: asyncio.run(commands.reconcile(settings_of(database_url, **ari), thorough))))

    @group.group(help="Manage the database schema.")
    def db() -> None:
        pass

    @db.command(help="Apply the schema migrations this version needs; safe to run again.")
    @database_option
    def upgrade(database_url: str) -> None:
        sys.exit(_run(lambda: asyncio.run(commands.db_upgrade(database_url))))

    @group.group(help="Asterisk PJSIP configuration.")
    def pjsip() -> None:
        pass

    @pjsip.command(help="Print the pjsip.conf Asterisk would get, for every active trunk or one (--trunk).")
    @database_option
    @click.option("--trunk", "trunk_id", default=None, help="only this trunk id")
    @click.option("--show-secrets", is_flag=True, help="print the trunks' passwords (redacted otherwise)")
    def render(database_url: str, trunk_id: str | None, show_secrets: bool) -> None:
        sys.exit(_run(lambda: asyncio.run(commands.pjsip_render(database_url, trunk_id, show_secrets))))

    @group.group(help="Asterisk node configuration.")
    def asterisk() -> None:
        pass

    @asterisk.command(
        help="Print the extensions.conf contexts every Asterisk node needs. With several instances (each its own "
        "BYOT_ARI_APP), an inbound call enters the first of --apps that is connected, so it survives the loss of "
        "any instance; --rotate N starts the list at its N-th name, to give each node another first choice."
    )
    @click.option(
        "--apps", default="byot", show_default=True, help="the instances' Stasis applications, comma-separated"
    )
    @click.option("--rotate", default=0, show_default=True, type=click.IntRange(0), help="start at this name")
    def dialplan(apps: str, rotate: int) -> None:
        from byot_core.adapters.asterisk.extensions import render_extensions

        def render() -> int:
            print(render_extensions([a.strip() for a in apps.split(",")], rotate=rotate), end="")
            return 0

        sys.exit(_run(render))

    @group.command(help="Print a new key for BYOT_SECRET_KEYS (put it first to rotate; keep older keys after it).")
    def keygen() -> None:
        from byot_core.adapters.fernet_secrets import new_key

        print(new_key())
        sys.exit(0)

    return group


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``byot`` command and return its exit code."""
    if not _HAS_CLICK:
        print("byot: the command needs the 'server' extra: pip install 'byot-core[server]'", file=sys.stderr)
        return 1
    try:
        _cli().main(args=list(argv) if argv is not None else None, prog_name="byot", standalone_mode=True)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
