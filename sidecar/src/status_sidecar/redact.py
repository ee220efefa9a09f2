"""The one redactor: every byte of text the API returns from Logstash or the environment passes
through it (log view and download, hot threads, every bundle part, stats).

Two kinds of removal:

* **exact values**: the secrets this sidecar knows: secret-named variables of its environment,
  the contents of their ``*_FILE`` files, every value of ``SECRETS_ENV_FILE`` (the env file the
  Logstash container gets: HEC tokens, passwords), its own access tokens and signing keys;
* **known shapes**, wherever they come from: ``Authorization``/``Bearer``/``Splunk`` tokens,
  credentials in URLs, ``SharedAccessKey=``/``AccountKey=``/``sig=``, ``password``/``secret``/
  ``token``/``api_key`` values, AWS access key ids, PEM private keys.

Every pattern is linear in its input (no nested quantifiers), so a hostile log line costs time
in proportion to its length only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REDACTED: Final = "[REDACTED]"
MIN_SECRET_LEN: Final = 4  # shorter values would redact ordinary words
RELOAD_EVERY_S: Final = 5.0

_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASS$|_KEY$|^KEY$|AUTH|CREDENTIAL|PRIVATE|WEBHOOK_URL|SAS"
    r"|CONNECTION_STRING|_DSN$|DATABASE_URL)",
    re.IGNORECASE,
)
_VALUE_CHARS = r"[A-Za-z0-9._~+/=-]"
_KEY_WORDS = (
    r"password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|credentials?|auth[_-]?key"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[A-Za-z0-9+/=\s:,-]*?-----END [A-Z0-9 ]*PRIVATE KEY-----"
)


@dataclass(frozen=True)
class _Shape:
    """A secret shape: the span of group ``secret`` is replaced. A shape is tried only on a
    line holding one of its triggers (plain substring tests are far cheaper than a pattern),
    and on the lower-cased line when ``lowered`` (a case-insensitive pattern is several times
    slower than a lower-case one on lower-cased text)."""

    pattern: re.Pattern[str]
    triggers: tuple[str, ...]
    lowered: bool = True
    keep: Callable[[re.Match[str]], bool] | None = None


def _names_a_file(match: re.Match[str]) -> bool:
    # A setting that names a file ("auth_token_file": "/run/...") is not the secret itself.
    return match["key"].endswith(("file", "_path", "name"))


_SHAPES: Final[tuple[_Shape, ...]] = (
    # Authorization: Basic|Bearer|Splunk <value>, as a header, a JSON field or a log line.
    _Shape(
        re.compile(
            r"authorization[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|splunk|token)\s+)?"
            r"(?!(?:basic|bearer|splunk|token)\b)(?P<secret>" + _VALUE_CHARS + "{4,})"
        ),
        ("authorization",),
    ),
    _Shape(
        re.compile(r"\b(?:Bearer|Splunk)\s+(?P<secret>" + _VALUE_CHARS + "{12,})"),
        ("Bearer", "Splunk"),
        lowered=False,
    ),
    # scheme://user:password@host
    _Shape(re.compile(r"://[^\s/:@\"']{1,256}:(?P<secret>[^\s/@\"']{1,512})@"), ("://",)),
    # Azure connection strings and SAS signatures
    _Shape(
        re.compile(
            r"\b(?:sharedaccesskey|accountkey|sharedaccesssignature|sig)=(?P<secret>[^;&\s\"']+)"
        ),
        ("sharedaccess", "accountkey", "sig="),
    ),
    _Shape(
        re.compile(r"\b(?P<secret>(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16})\b"),
        ("AKIA", "ASIA", "AIDA", "AROA"),
        lowered=False,
    ),
    # password / secret / token / api_key ... = value, => "value", "key": "value"; anchored on
    # the key word (a pattern that starts at every word boundary costs 10x more). The quote
    # may be JSON-escaped (\") when a config is quoted inside a JSON string.
    _Shape(
        re.compile(
            r"(?P<key>(?:" + _KEY_WORDS + r")[\w.-]{0,40})"
            r"\\?[\"']?\s*(?:=>|[:=])\s*\\?[\"']?(?P<secret>[^\"'\s,;&}\]\\]+)"
        ),
        ("pass", "pwd", "secret", "token", "key", "credential"),
        keep=_names_a_file,
    ),
)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def _redact_line(line: str) -> str:
    lowered = line.lower()
    if len(lowered) != len(line):  # a few Unicode letters change length when lower-cased
        lowered = line.translate(_ASCII_LOWER)
    spans: list[tuple[int, int]] = []
    for shape in _SHAPES:
        haystack = lowered if shape.lowered else line
        if not any(trigger in haystack for trigger in shape.triggers):
            continue
        for match in shape.pattern.finditer(haystack):
            if shape.keep is not None and shape.keep(match):
                continue
            spans.append(match.span("secret"))
    if not spans:
        return line
    return _replace_spans(line, spans)


def _replace_spans(line: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if end <= cursor:
            continue  # inside a span already replaced
        start = max(start, cursor)
        out += [line[cursor:start], REDACTED]
        cursor = end
    out.append(line[cursor:])
    return "".join(out)


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)
        self._exact = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def text(self, value: str) -> str:
        if self._exact is not None:
            value = self._exact.sub(REDACTED, value)
        if "PRIVATE KEY-----" in value:
            value = _PRIVATE_KEY.sub("[REDACTED PRIVATE KEY]", value)
        # Line by line: the shapes are one-line, a line is tried only by the shapes its text
        # can hold, and a long answer gives other threads (the event loop) the GIL between lines.
        return "".join(_redact_line(line) for line in value.splitlines(keepends=True))

    def data(self, raw: bytes) -> bytes:
        return self.text(raw.decode("utf-8", errors="replace")).encode("utf-8", errors="replace")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (``export``, quotes and comments tolerated), as Docker's --env-file."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def _file_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def environment_secrets(environ: Mapping[str, str]) -> list[str]:
    """Secret-named variables and the contents of their ``*_FILE`` files."""
    values: list[str] = []
    for name, value in environ.items():
        if name.endswith("_FILE") and is_secret_name(name[: -len("_FILE")]):
            content = _file_text(value)
            if content is not None:
                values += [content, *content.splitlines()]
        elif is_secret_name(name):
            values.append(value)
    return values


@dataclass(frozen=True)
class _Stamp:
    inode: int
    size: int
    mtime_ns: int


def _stamp(path: str) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _Stamp(st.st_ino, st.st_size, st.st_mtime_ns)


class SecretSource:
    """The current redactor: the environment's secrets plus files that may change (the
    secrets env file, token files), re-read when their stat changes (checked every few s)."""

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        env_files: Iterable[str] = (),
        token_files: Iterable[str] = (),
    ) -> None:
        self._environ = dict(environ)
        self._env_files = [f for f in env_files if f]
        self._token_files = [f for f in token_files if f]
        self._checked_at = float("-inf")
        self._stamps: tuple[_Stamp | None, ...] = ()
        self._redactor = Redactor()
        self.refresh(force=True)

    def _files(self) -> list[str]:
        return [*self._env_files, *self._token_files]

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < RELOAD_EVERY_S:
            return
        self._checked_at = now
        stamps = tuple(_stamp(f) for f in self._files())
        if not force and stamps == self._stamps:
            return
        self._stamps = stamps
        secrets = environment_secrets(self._environ)
        for path in self._env_files:
            try:
                secrets += read_env_file(Path(path)).values()
            except OSError:
                continue
        for path in self._token_files:
            content = _file_text(path) or ""
            for line in content.splitlines():
                secrets += [line.strip(), line.strip().rpartition(":")[2]]
        self._redactor = Redactor(secrets)

    @property
    def redactor(self) -> Redactor:
        self.refresh()
        return self._redactor


# Variables whose values environment.json shows (through the redactor as well); every other
# variable is listed by name only.
ENVIRONMENT_ALLOWLIST: Final = frozenset(
    {"HOSTNAME", "TZ", "LANG", "LC_ALL", "PYTHON_VERSION", "PATH", "HOME", "USER", "PWD"}
)


def environment_view(
    environ: Mapping[str, str], setting_names: Iterable[str], redactor: Redactor
) -> dict[str, object]:
    allowed = ENVIRONMENT_ALLOWLIST | set(setting_names)
    shown = {
        name: redactor.text(value)
        for name, value in sorted(environ.items())
        if name in allowed and not (is_secret_name(name) and not name.endswith("_FILE"))
    }
    return {
        "variables": shown,
        "other_variables": sorted(name for name in environ if name not in shown),
        "note": "only allowlisted variables are shown with their values; the others by name",
    }
