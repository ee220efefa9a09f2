"""The sidecar token on the operator's side: ``--token-file`` or ``STASHKIT_SIDECAR_TOKEN_FILE``.

Every sidecar endpoint but ``/api/health`` and ``/healthz`` requires ``Authorization: Bearer
<token>``; ``stashkit fleet`` and ``stashkit verify`` send it on every request to a sidecar (on
the open health endpoints it is harmless). The token is read from a file, never taken from the
command line, so it is in no process's argv; it is held in a :class:`SidecarToken` whose repr
hides it, set only on the HTTP clients that talk to sidecars, and never part of a message: a
refusal names the sidecar and says what to do (:func:`refused`).

The file holds one token on its first line (blank lines and ``#`` comments skipped). A line
``name:token``, the sidecar's own ``AUTH_TOKEN_FILE`` format, sends ``token``, as the sidecar
reads it, so the operator may point at the same file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from .errors import UsageError

__all__ = [
    "TOKEN_FILE_ENV",
    "SidecarToken",
    "authorize",
    "load_token",
    "refused",
]

TOKEN_FILE_ENV = "STASHKIT_SIDECAR_TOKEN_FILE"  # noqa: S105 - a variable name
"""Names the token file when ``--token-file`` is not given."""

HINT = f"pass --token-file or set {TOKEN_FILE_ENV}"

ClientT = TypeVar("ClientT", httpx.Client, httpx.AsyncClient)


@dataclass(frozen=True)
class SidecarToken:
    """A bearer token and where it came from (the repr shows only the source)."""

    value: str = field(repr=False)
    source: str

    @property
    def header(self) -> str:
        return f"Bearer {self.value}"


def load_token(path: Path | None, environ: Mapping[str, str] = os.environ) -> SidecarToken | None:
    """The token of ``path`` (``--token-file``), else of the file ``$STASHKIT_SIDECAR_TOKEN_FILE``
    names, else None. Every problem is a :class:`UsageError` that never quotes the file."""
    if path is not None:
        source = f"--token-file {path}"
    elif environ.get(TOKEN_FILE_ENV):
        path = Path(environ[TOKEN_FILE_ENV])
        source = f"{TOKEN_FILE_ENV}={path}"
    else:
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"{source}: cannot read the token file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source}: the token file is not UTF-8 text") from None
    lines = [line.strip() for line in text.splitlines()]
    wanted = next((line for line in lines if line and not line.startswith("#")), "")
    value = wanted.split(":", 1)[1].strip() if ":" in wanted else wanted
    if not value:
        raise UsageError(f"{source}: no token in the file")
    if not all("\x21" <= c <= "\x7e" for c in value):
        raise UsageError(
            f"{source}: the token has characters an HTTP header cannot carry (spaces, control "
            "or non-ASCII characters)"
        )
    return SidecarToken(value, source)


def authorize(client: ClientT, token: SidecarToken | None) -> ClientT:
    """``client`` sending ``token`` on every request (unchanged without one)."""
    if token is not None:
        client.headers["Authorization"] = token.header
    return client


def refused(url: str, response: httpx.Response) -> str:
    """The one-line reason for a 401 from the sidecar at ``url``."""
    base = url.rstrip("/")
    if "authorization" in response.request.headers:
        return f"sidecar at {base} refused the token (401): {HINT}"
    return f"sidecar at {base} requires a token (401): {HINT}"
