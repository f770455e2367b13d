"""Client authentication a CPE uses towards the ACS and file servers."""

from __future__ import annotations

from collections.abc import Generator

import httpx


class CpeAuth(httpx.Auth):
    """Answers a Basic or Digest challenge, then keeps using that scheme.

    With ``preemptive_basic`` the first request already carries Basic credentials, as some
    CPEs do.
    """

    def __init__(self, username: str, password: str, *, preemptive_basic: bool = False) -> None:
        self._basic = httpx.BasicAuth(username, password)
        self._digest = httpx.DigestAuth(username, password)
        self.scheme: str | None = "basic" if preemptive_basic else None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "").lower()
        if challenge.startswith("basic"):
            self.scheme = "basic"
            yield from self._basic.auth_flow(request)
        elif challenge.startswith("digest"):
            self.scheme = "digest"
            yield from self._digest.auth_flow(request)
