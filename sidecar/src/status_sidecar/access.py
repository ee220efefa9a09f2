"""Who may read what: tokens from a file, loopback-only without one, an explicit open mode.

``/api/health`` and ``/healthz`` are open (load balancers, container runtimes). Everything else
needs a token from ``AUTH_TOKEN_FILE``, as ``Authorization: Bearer <token>`` or as HTTP Basic
with the token as the password (so a browser can open the dashboard). Without a token file only
loopback clients are served; ``ALLOW_ANONYMOUS`` opens everything to everyone, explicitly.

The token file holds one token a line, ``token`` or ``name:token`` (the name goes to the audit
trail, never the token); ``#`` comments and blank lines are ignored. It is re-read when it
changes (checked at most once a second), so rotation needs no restart; a file that vanishes or
cannot be read keeps the last good tokens and logs why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

log = logging.getLogger("status_sidecar.access")
OPEN_PATHS: Final = frozenset({"/api/health", "/healthz"})
REALM: Final = 'Basic realm="stashkit status sidecar", charset="UTF-8"'
MIN_TOKEN_LEN: Final = 16
CHECK_EVERY_S: Final = 1.0
Mode = Literal["tokens", "loopback", "anonymous"]


class TokenFileError(ValueError):
    """The token file cannot be used at start: one line that says why."""


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    digest: bytes


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    status: int = 200  # 401 or 403 when refused
    who: str | None = None  # the token's name when one was presented and accepted
    reason: str = ""


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", errors="surrogateescape")).digest()


def parse_tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, secret = line.partition(":")
        if not sep:
            name, secret = f"token-{number}", line
        name, secret = name.strip(), secret.strip()
        if len(secret) < MIN_TOKEN_LEN:
            raise TokenFileError(
                f"line {number}: a token must be at least {MIN_TOKEN_LEN} characters"
            )
        tokens.append(Token(name or f"token-{number}", _digest(secret)))
    return tokens


class TokenFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._checked_at = float("-inf")
        self.tokens: list[Token] = []
        self.load()

    def load(self) -> None:
        """At start: a missing, unreadable, empty or malformed file stops the sidecar."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenFileError(f"AUTH_TOKEN_FILE {self.path}: {exc.strerror or exc}") from None
        try:
            tokens = parse_tokens(text)
        except TokenFileError as exc:
            raise TokenFileError(f"AUTH_TOKEN_FILE {self.path}: {exc}") from None
        if not tokens:
            raise TokenFileError(f"AUTH_TOKEN_FILE {self.path} holds no token")
        self.tokens = tokens
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def current(self) -> list[Token]:
        now = time.monotonic()
        if now - self._checked_at >= CHECK_EVERY_S:
            self._checked_at = now
            stamp = self._stat()
            if stamp is not None and stamp != self._stamp:
                self._reload(stamp)
        return self.tokens

    def _reload(self, stamp: tuple[int, int, int]) -> None:
        try:
            tokens = parse_tokens(self.path.read_text(encoding="utf-8"))
        except (OSError, TokenFileError) as exc:
            log.warning(
                "AUTH_TOKEN_FILE %s not reloaded (keeping the last good tokens): %s", self.path, exc
            )
            return
        if not tokens:
            log.warning(
                "AUTH_TOKEN_FILE %s holds no token: keeping the last good tokens", self.path
            )
            return
        self.tokens = tokens
        self._stamp = stamp
        log.info("AUTH_TOKEN_FILE %s reloaded: %d token(s)", self.path, len(tokens))


def presented_secret(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization`` header: Bearer, or Basic's password."""
    value = headers.get("authorization", "")
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep else None
    return None


def match_token(tokens: list[Token], secret: str) -> Token | None:
    """Constant time in the secret: every token is compared, digests of equal length."""
    candidate = _digest(secret)
    found: Token | None = None
    for token in tokens:
        if hmac.compare_digest(candidate, token.digest):
            found = token
    return found


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class Access:
    def __init__(
        self, token_file: TokenFile | None, *, allow_anonymous: bool, metrics_public: bool
    ) -> None:
        self.token_file = token_file
        self.metrics_public = metrics_public
        self.mode: Mode = (
            "tokens" if token_file is not None else "anonymous" if allow_anonymous else "loopback"
        )

    def is_open(self, path: str) -> bool:
        return path in OPEN_PATHS or (self.metrics_public and path == "/metrics")

    def decide(self, headers: Mapping[str, str], client_host: str | None) -> Decision:
        if self.mode == "anonymous":
            return Decision(True)
        if self.mode == "loopback":
            if is_loopback(client_host):
                return Decision(True)
            return Decision(
                False,
                403,
                reason="this sidecar has no AUTH_TOKEN_FILE, so it serves this endpoint to "
                "loopback clients only; give it a token file to reach it from elsewhere",
            )
        assert self.token_file is not None
        secret = presented_secret(headers)
        if secret is None:
            return Decision(False, 401, reason="a token is required (Bearer, or Basic password)")
        token = match_token(self.token_file.current(), secret)
        if token is None:
            return Decision(False, 401, reason="the token was not accepted")
        return Decision(True, who=token.name)

    def describe(self) -> str:
        if self.mode == "tokens":
            assert self.token_file is not None
            return (
                f"access: tokens from {self.token_file.path} "
                f"({len(self.token_file.tokens)} token(s)); /api/health and /healthz are open"
            )
        if self.mode == "anonymous":
            return "access: ALLOW_ANONYMOUS is on: every endpoint answers every client"
        return (
            "access: no AUTH_TOKEN_FILE: logs, bundles, hot threads, stats and /metrics answer "
            "loopback clients only (set AUTH_TOKEN_FILE to reach them from elsewhere)"
        )
