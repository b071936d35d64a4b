"""Status callbacks sent over HTTP with aiohttp (the ``asterisk`` extra), each request within a timeout."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from byot_core.ports.callbacks import ReceiverUnreachable

__all__ = ["HttpCallbackSender"]


class HttpCallbackSender:
    """POSTs events; ``timeout`` seconds for the whole exchange.

    Redirects are not followed (a receiver moves by changing the URL it gave, not by sending events elsewhere). Use
    as an async context manager, or :meth:`close`.
    """

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpCallbackSender:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """Send; the answer's status code. Raises :class:`ReceiverUnreachable` when there is none in time."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(url, data=body, headers=dict(headers), allow_redirects=False) as answer:
                await answer.read()
                return answer.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ReceiverUnreachable(type(error).__name__) from error

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
