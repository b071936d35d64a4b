"""The ``byot`` command.

- ``byot demo`` walks the guide's four steps on in-memory storage and a fake telephony, printing each request and the
  JSON the guide documents for its answer.
- ``byot db upgrade`` brings a database's schema up to this version's (SQLite file or PostgreSQL).
- ``byot keygen`` prints a new key for ``BYOT_SECRET_KEYS`` (the key that encrypts trunk passwords at rest).

Settings: ``--database-url`` or ``BYOT_DATABASE_URL``; without either, ``byot.sqlite3`` in the current folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from byot_core.domain.errors import ByotError

__all__ = ["main"]

DEFAULT_DATABASE_URL = "sqlite:///byot.sqlite3"
_AGENT = "agt-11111111-1111-1111-1111-111111111111"
_ACCOUNT = "user_abc123"


def _show(title: str, request: Any, response: Any) -> None:
    print(f"\n## {title}")
    if request is not None:
        print("request:  " + json.dumps(request))
    print("response: " + json.dumps(response, indent=2))


async def _demo() -> int:
    from byot_core.adapters.fake_telephony import FakeTelephony, Outcome
    from byot_core.adapters.guide_json import execution_json, number_json, trunk_json
    from byot_core.adapters.memory import MemoryAgentDirectory, RecordingInboundHandler
    from byot_core.composition import build

    telephony, agents, handler = FakeTelephony(), MemoryAgentDirectory(), RecordingInboundHandler()
    app = build(telephony=telephony, agents=agents, inbound_handler=handler)
    agents.register(_ACCOUNT, _AGENT, telephony_provider="sip-trunk")
    print("byot demo: the guide's four steps on in-memory storage and a fake telephony")

    trunk_body = {
        "name": "Zadarma Production",
        "provider": "zadarma",
        "auth_type": "userpass",
        "auth_username": "bolnaTesting",
        "auth_password": "SuperSecurePassword123",
        "gateways": [
            {"gateway_address": "sip.zadarma.com", "port": 5060, "priority": 1},
            {"gateway_address": "sip2.zadarma.com", "port": 5060, "priority": 2},
        ],
        "inbound_enabled": True,
    }
    details = await app.trunks.create(_ACCOUNT, trunk_body)
    shown = dict(trunk_body, auth_password="********")  # noqa: S106 - the guide's example password, masked
    _show("Step 1: POST /sip-trunks/trunks (201)", shown, trunk_json(details))

    number_body = {"phone_number": "919876543210", "name": "Mumbai Support Line"}
    number = await app.numbers.add(_ACCOUNT, details.trunk.id, number_body)
    _show(f"Step 2: POST /sip-trunks/trunks/{details.trunk.id}/numbers (201)", number_body, number_json(number))

    mapping = {"agent_id": _AGENT, "phone_number_id": number.id}
    message = await app.inbound.setup(_ACCOUNT, mapping)
    _show("Step 3: POST /inbound/setup (200)", mapping, {"message": message.message})

    channel = telephony.incoming_call("+919876543210", source="203.0.113.7", caller="+14155550100")
    await telephony.deliver(app.events.handle)
    telephony.remote_hang_up(channel)
    await telephony.deliver(app.events.handle)
    inbound = await app.calls.get(_ACCOUNT, handler.offers[0].execution_id)
    _show("An inbound call to +919876543210 reaches the agent", None, execution_json(inbound))

    telephony.script("sip.zadarma.com", Outcome.CONGESTION)
    call = {
        "agent_id": _AGENT,
        "recipient": {"phone_number": "+918800001234", "name": "Rahul Sharma"},
        "from_number": "+919876543210",
    }
    placed = await app.calls.place(_ACCOUNT, call)
    await telephony.deliver(app.events.handle)
    outbound = await app.calls.get(_ACCOUNT, placed.id)
    _show(
        "Step 4: POST /call; the first gateway answers 503, the second completes the call",
        call,
        execution_json(outbound),
    )
    return 0


def _database_url(args: argparse.Namespace) -> str:
    return str(args.database_url or os.environ.get("BYOT_DATABASE_URL") or DEFAULT_DATABASE_URL)


async def _db_upgrade(args: argparse.Namespace) -> int:
    try:
        from byot_core.adapters.sql import Database, upgrade
    except ImportError:
        print("byot: SQL storage needs the 'sql' extra: pip install 'byot-core[sql]'", file=sys.stderr)
        return 1
    database = Database(_database_url(args))
    try:
        before, after = await upgrade(database)
    finally:
        await database.dispose()
    if before == after:
        print(f"The database is already at schema revision {after}.")
    else:
        print(f"Database upgraded from schema revision {before or '(empty)'} to {after}.")
    return 0


def _keygen() -> int:
    try:
        from byot_core.adapters.fernet_secrets import new_key
    except ImportError:
        print("byot: encrypted secrets need the 'sql' extra: pip install 'byot-core[sql]'", file=sys.stderr)
        return 1
    print(new_key())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``byot`` command; return its exit code (0 success, 1 a library error, 2 a usage error)."""
    parser = argparse.ArgumentParser(prog="byot", description="Bring Your Own Trunk: SIP trunks for voice AI agents.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="walk the guide's four steps on in-memory storage and a fake telephony",
        description="Walk the guide's four steps on in-memory storage and a fake telephony, printing each request"
        " and the guide's JSON answer: create a trunk, add a number, map it to an agent, take an inbound call, and"
        " place an outbound call that fails over from a congested gateway to a working one.",
    )
    db = commands.add_parser("db", help="manage the database schema", description="Manage the database schema.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_upgrade = db_commands.add_parser(
        "upgrade",
        help="upgrade the schema to this version's",
        description="Apply the schema migrations this version of byot-core needs; safe to run again.",
    )
    db_upgrade.add_argument(
        "--database-url",
        help=f"sqlite:///path or postgresql://user@host/db (default: BYOT_DATABASE_URL, else {DEFAULT_DATABASE_URL})",
    )
    commands.add_parser(
        "keygen",
        help="print a new key for BYOT_SECRET_KEYS",
        description="Print a new random key for BYOT_SECRET_KEYS (put it first to rotate; keep older keys after it).",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            return _keygen()
        if args.command == "db":
            return asyncio.run(_db_upgrade(args))
        return asyncio.run(_demo())
    except ByotError as error:
        print(f"byot: {error.message} ({error.code})", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        # An unreachable database or a malformed URL: say so plainly (the URL's password is never printed).
        print(f"byot: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
