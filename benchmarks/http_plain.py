"""The plain program ``benchmarks/http_compare.py`` measures ``byot serve`` against: the least a server can do.

Starlette on uvicorn, the bearer key checked with one dictionary read, and the trunk's JSON read by primary key (GET)
or the posted JSON inserted in one transaction (POST), with the stdlib ``sqlite3`` driver in WAL mode and
``synchronous=NORMAL`` as byot uses, or asyncpg with a pool of 10 connections as byot has.

Usage (as the comparison runs it): ``python benchmarks/http_plain.py DATABASE PORT``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

#: The API key the load sends, and the account it stands for (the same as byot's in the comparison).
KEY = "bn-benchmark-key"
ACCOUNT = "bench"


def plain_app(database: str) -> Any:
    """The least a Starlette server does for the same requests: a key dict, one indexed read or one insert."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    keys = {KEY: ACCOUNT}
    postgres = database.startswith("postgresql://")
    conn = None if postgres else sqlite3.connect(database, check_same_thread=False, isolation_level=None)
    if conn is not None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    pools: list[Any] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if postgres:
            import asyncpg

            pools.append(await asyncpg.create_pool(database, min_size=10, max_size=10, command_timeout=30))
        yield
        for pool in pools:
            await pool.close()

    def account(request: Request) -> str | None:
        return keys.get(request.headers.get("authorization", "").removeprefix("Bearer "))

    async def get_trunk(request: Request) -> Response:
        who = account(request)
        if who is None:
            return JSONResponse({"detail": "Invalid or missing API key"}, 401)
        trunk_id = request.path_params["trunk_id"]
        if conn is None:
            body = await pools[0].fetchval("SELECT body FROM trunks WHERE id = $1 AND account = $2", trunk_id, who)
        else:
            row = conn.execute("SELECT body FROM trunks WHERE id = ? AND account = ?", (trunk_id, who)).fetchone()
            body = row[0] if row is not None else None
        if body is None:
            return JSONResponse({"detail": "SIP trunk not found"}, 404)
        return Response(body, media_type="application/json")

    async def post_trunk(request: Request) -> Response:
        who = account(request)
        if who is None:
            return JSONResponse({"detail": "Invalid or missing API key"}, 401)
        raw = await request.body()
        body = json.loads(raw)
        body["id"] = uuid.uuid4().hex
        text = json.dumps(body)
        if conn is None:
            async with pools[0].acquire() as pooled, pooled.transaction():
                await pooled.execute(
                    "INSERT INTO trunks (id, account, body) VALUES ($1, $2, $3)", body["id"], who, text
                )
        else:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO trunks (id, account, body) VALUES (?, ?, ?)", (body["id"], who, text))
            conn.execute("COMMIT")
        return Response(text, status_code=201, media_type="application/json")

    return Starlette(
        routes=[
            Route("/sip-trunks/trunks/{trunk_id}", get_trunk, methods=["GET"]),
            Route("/sip-trunks/trunks", post_trunk, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def run_plain(database: str, port: int) -> None:
    import uvicorn

    uvicorn.run(plain_app(database), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    run_plain(sys.argv[1], int(sys.argv[2]))
