"""What each ``byot`` command does once its options are read (the options themselves are in :mod:`byot_core.cli`).

Each function returns the command's exit code. Heavy imports (SQLAlchemy, uvicorn, rich) happen inside them, so
that ``byot --help`` needs none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["GRACEFUL_SECONDS", "REDACTED", "db_upgrade", "pjsip_render", "reconcile", "serve"]


#: How long a stopping server lets requests in flight finish.
GRACEFUL_SECONDS = 10


async def db_upgrade(database_url: str) -> int:
    """``byot db upgrade``: bring the database's schema up to this version's."""
    from byot_core.adapters.sql import Database, upgrade

    database = Database(database_url)
    try:
        before, after = await upgrade(database)
    finally:
        await database.dispose()
    if before == after:
        print(f"The database is already at schema revision {after}.")
    else:
        print(f"Database upgraded from schema revision {before or '(empty)'} to {after}.")
    return 0


#: What ``byot pjsip render`` prints for a password unless asked for secrets.
REDACTED = "(redacted)"


async def pjsip_render(database_url: str, trunk_id: str | None, show_secrets: bool = False) -> int:
    """``byot pjsip render``: print every active trunk's ``pjsip.conf`` (or one's), passwords redacted unless asked."""
    from byot_core.adapters.asterisk import desired_objects, render_conf
    from byot_core.adapters.sql import SqlStorage
    from byot_core.domain.secret import Secret
    from byot_core.runtime import Settings, secret_box

    settings = Settings.from_env(database_url=database_url)
    secrets, _ = secret_box(settings, create=False)
    storage = await SqlStorage.open(settings.database_url)
    try:
        async with storage.unit_of_work() as uow:
            ids = [trunk_id] if trunk_id else list(await uow.trunks.all_ids())
            trunks = [t for i in ids if (t := await uow.trunks.get_any(i)) is not None and t.routes_calls]
    finally:
        await storage.close()
    if trunk_id and not trunks:
        print(f"byot: no active trunk {trunk_id}", file=sys.stderr)
        return 1
    sections, skipped = [], 0
    for trunk in trunks:
        password = None
        header = [f"byot-core trunk {trunk.id}"]
        if trunk.auth_password:
            password = secrets.open(trunk.auth_password) if show_secrets else Secret(REDACTED)
            if not show_secrets:
                header.append(f"password {REDACTED}: byot pjsip render --show-secrets prints it")
        inbound = None
        if trunk.inbound_auth_password:
            inbound = secrets.open(trunk.inbound_auth_password) if show_secrets else Secret(REDACTED)
        try:
            sections.append(render_conf(desired_objects(trunk, password, inbound), header=header))
        except ValueError as error:
            # One trunk's stored value never keeps every other trunk out of the file.
            print(f"byot: trunk {trunk.id} skipped: {error}", file=sys.stderr)
            skipped += 1
    print("\n".join(sections), end="")
    return 1 if skipped else 0


async def reconcile(settings: Any, thorough: bool) -> int:
    """``byot reconcile``: apply every trunk to the Asterisk nodes, with a progress bar; 1 if any is left unapplied."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from byot_core.runtime import open_core

    if not settings.ari_urls:
        print("byot: set --ari-url or BYOT_ARI_URL to the Asterisk nodes to reconcile", file=sys.stderr)
        return 2
    core = await open_core(settings, create_secret=False)
    try:
        columns = (TextColumn("reconciling trunks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("reconcile", total=None)
            report = await core.byot.sync.reconcile(
                lambda done, total: bar.update(task, completed=done, total=total), thorough=thorough
            )
    finally:
        await core.close()
    print(
        f"Trunks: {report.applied} in step ({report.changed} changed, {report.objects_written} objects written), "
        f"{report.removed} removed, {report.failed} failed"
    )
    for trunk_id in report.unknown:
        print(f"left alone: configuration for trunk {trunk_id}, which this database does not know")
    return 0 if report.ok else 1


def serve(host: str, port: int, settings: Any, *, access_log: bool = False, log_level: str = "warning") -> int:
    """``byot serve``: the reference HTTP API until SIGTERM or SIGINT, then everything closed; 0 on a clean stop.

    The library logs at ``log_level`` (``info`` shows each call's routing, refusals included); ``access_log`` adds a
    line per HTTP request.
    """
    import uvicorn

    from byot_core.server import open_server

    class GracefulServer(uvicorn.Server):
        """uvicorn's server, except that a stop signal ends it cleanly instead of being raised again afterwards.

        uvicorn stops accepting, lets requests in flight finish, runs the lifespan's shutdown, and then re-raises
        SIGTERM or SIGINT, which ends the process (-15) or aborts it (exit 1) before the storage and the Asterisk
        clients are closed. Here the signal has been handled once the server is down: the command closes
        everything and exits 0.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        server = await open_server(settings)
        tune_collector()
        try:
            for note in server.announcements:
                print(note, flush=True)
            print(
                f"byot serving the guide's API on http://{host}:{port} (database: {redacted(settings.database_url)})",
                flush=True,
            )
            config = uvicorn.Config(
                server.app,
                host=host,
                port=port,
                log_level="warning",
                lifespan="on",
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
                access_log=access_log,
            )
            if access_log:  # uvicorn sets its loggers to log_level; its access lines are INFO
                logging.getLogger("uvicorn.access").setLevel(logging.INFO)
            await GracefulServer(config).serve()
        finally:
            await server.close()
        print("byot stopped: storage and telephony closed", flush=True)

    asyncio.run(run())
    return 0


def tune_collector() -> None:
    """Fewer, shorter garbage collections for a long-running server.

    A server holds many long-lived objects (caches, telephony state). With the interpreter's default thresholds the
    collector walked them all several times a second under a load of creates, in pauses of up to 80 ms (about 5% of
    the time). What exists once the server is open is frozen out of the collector's walks, and young objects are
    collected every 10,000 allocations instead of 700 (0.5% of the time). Reference cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def redacted(url: str) -> str:
    """The database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
