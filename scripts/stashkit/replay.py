"""Replay syslog messages to a listener (``stashkit replay``): samples or a file, UDP/TCP/TLS.

* Messages are bytes, one per line of the source (a trailing CR is dropped; blank lines and
  lines starting with ``#`` are skipped). The package ships samples per log type
  (:data:`SAMPLES_DIR`, ``<log type>.log``, written from FORMATS.md), so ``--samples microseg``
  works without the repository.
* UDP sends one datagram per message (no newline); TCP and TLS send ``message + "\\n"`` on one
  connection (newline framing, as Logstash's tcp input expects), reconnecting after a failure.
* Timestamps are refreshed at send time (:func:`refresh_timestamps`): the message's first
  timestamp becomes *now* and every other timestamp in it moves by the same amount, so the
  relations inside a message (login/logout, start/end) are kept. Every form Aviatrix writes is
  handled: ``Mmm d HH:MM:SS`` headers (space-padded day), RFC 3339 / ISO 8601 with or without
  fraction and offset (``+00:00``, ``+0000``, ``Z``), ``YYYY/MM/DD HH:MM:SS`` and
  ``YYYY-MM-DD HH:MM:SS`` in bodies, JSON epoch numbers (s, ms, us, ns) under timestamp keys and
  protobuf ``seconds:N`` (cpu_cores).
* ``rate`` messages per second are paced against a clock (0 = as fast as possible).

:class:`Replayer` receives its transport factory, clock and sleep, so tests drive it with local
listeners and a fake clock.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from status_sidecar.catalog import LOG_TYPE_KEYS

from .errors import ReplayError, UsageError
from .textui import format_duration, format_number, table

__all__ = [
    "MAX_UDP_PAYLOAD",
    "SAMPLES_DIR",
    "Message",
    "ReplaySummary",
    "Replayer",
    "Target",
    "TcpTransport",
    "Transport",
    "UdpTransport",
    "client_tls_context",
    "load_file",
    "load_samples",
    "make_transport",
    "parse_target",
    "read_messages",
    "refresh_timestamps",
    "render_summary",
    "sample_types",
]

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
"""The samples shipped with the package: ``<log type>.log``, one message per line."""

MAX_UDP_PAYLOAD = 65507
"""The largest UDP datagram payload over IPv4; a longer message cannot go by UDP."""


@dataclass(frozen=True)
class Message:
    data: bytes
    log_type: str | None = None


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def read_messages(raw: bytes, log_type: str | None = None) -> list[Message]:
    """Messages of a text: one per line, CR dropped, blank and ``#`` lines skipped."""
    messages = []
    for line in raw.split(b"\n"):
        line = line.removesuffix(b"\r")
        if line.strip() and not line.startswith(b"#"):
            messages.append(Message(line, log_type))
    return messages


def sample_types(directory: Path = SAMPLES_DIR) -> tuple[str, ...]:
    """Log types with shipped samples, in catalog order."""
    present = {p.stem for p in directory.glob("*.log")}
    return tuple(k for k in LOG_TYPE_KEYS if k in present)


def load_samples(log_types: Iterable[str], directory: Path = SAMPLES_DIR) -> list[Message]:
    """The shipped samples of each log type (``all`` = every type), types in the given order."""
    wanted: list[str] = []
    for name in log_types:
        for key in sample_types(directory) if name == "all" else (name,):
            if key not in wanted:
                wanted.append(key)
    messages: list[Message] = []
    for key in wanted:
        path = directory / f"{key}.log"
        if not path.is_file():
            known = ", ".join(sample_types(directory))
            raise UsageError(f"no samples for log type {key!r} (known: {known})")
        messages.extend(read_messages(path.read_bytes(), key))
    return messages


def load_file(path: Path) -> list[Message]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    messages = read_messages(raw)
    if not messages:
        raise UsageError(f"{path} holds no message (blank and # lines are skipped)")
    return messages


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SYSLOG = (
    rb"(?P<sl>\b(?P<mon>" + b"|".join(m.encode() for m in _MONTHS) + rb") (?P<day>[ 1-3]\d|\d) "
)
_SYSLOG += rb"(?P<hms>\d\d:\d\d:\d\d)\b)"
_ISO = (
    rb"(?P<iso>\b(?P<date>\d{4}-\d\d-\d\d)(?P<sep>[T ])(?P<time>\d\d:\d\d:\d\d)"
    rb"(?P<frac>[.,]\d{1,9})?(?P<zone>Z|[+-]\d\d:?\d\d)?(?![\d:]))"
)
_SLASH = rb"(?P<slash>\b\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\b)"
_EPOCH = (
    rb'(?P<epoch>"(?P<key>timestamp|session_start|start|end|time|[a-z_]*_(?:ts|timestamp))"\s*:\s*'
    rb"(?P<num>\d{10}|\d{13}|\d{16}|\d{19})(?![\d.]))"
)
_SECONDS = rb"(?P<pb>\bseconds:(?P<secs>\d{10})\b)"
_ANY = re.compile(b"|".join((_SYSLOG, _ISO, _SLASH, _EPOCH, _SECONDS)))
_EPOCH_SCALE = {10: 1, 13: 1_000, 16: 1_000_000, 19: 1_000_000_000}
_EPOCH_RANGE = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01, in seconds


def _syslog_time(match: re.Match[bytes], now: dt.datetime) -> dt.datetime:
    month = _MONTHS.index(match["mon"].decode()) + 1
    hour, minute, second = (int(x) for x in match["hms"].split(b":"))
    day = int(match["day"])
    value = dt.datetime(now.year, month, day, hour, minute, second, tzinfo=dt.UTC)
    if value - now > dt.timedelta(days=1):  # no year in the header: the nearest past one
        value = value.replace(year=now.year - 1)
    return value


def _iso_zone(zone: bytes | None) -> dt.tzinfo:
    if not zone or zone == b"Z":
        return dt.UTC
    text = zone.decode().replace(":", "")
    sign = 1 if text[0] == "+" else -1
    return dt.timezone(sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[3:5])))


def _iso_time(match: re.Match[bytes]) -> dt.datetime:
    base = dt.datetime.strptime(
        (match["date"] + b" " + match["time"]).decode(), "%Y-%m-%d %H:%M:%S"
    )
    frac = match["frac"]
    micros = int((frac[1:].decode() + "000000")[:6]) if frac else 0
    return base.replace(microsecond=micros, tzinfo=_iso_zone(match["zone"]))


def _when(match: re.Match[bytes], now: dt.datetime) -> dt.datetime | None:
    """The instant a matched timestamp denotes (naive forms read as UTC), None if implausible."""
    try:
        if match["sl"]:
            return _syslog_time(match, now)
        if match["iso"]:
            return _iso_time(match)
        if match["slash"]:
            parsed = dt.datetime.strptime(match["slash"].decode(), "%Y/%m/%d %H:%M:%S")
            return parsed.replace(tzinfo=dt.UTC)
        if match["epoch"]:
            seconds = int(match["num"]) / _EPOCH_SCALE[len(match["num"])]
        else:
            seconds = int(match["secs"])
        if not _EPOCH_RANGE[0] <= seconds < _EPOCH_RANGE[1]:
            return None
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except ValueError:
        return None


def _sub_second(match: re.Match[bytes]) -> bool:
    if match["iso"]:
        return match["frac"] is not None
    if match["epoch"]:
        return len(match["num"]) > 10
    return False


def _render(match: re.Match[bytes], value: dt.datetime, delta: dt.timedelta) -> bytes:
    """``value`` (the matched timestamp moved by ``delta``) written the way it was written."""
    if match["sl"]:
        value = value.astimezone(dt.UTC)
        day = f"{value.day:>2}" if len(match["day"]) == 2 else str(value.day)
        return f"{_MONTHS[value.month - 1]} {day} {value:%H:%M:%S}".encode()
    if match["iso"]:
        zone = match["zone"]
        value = value.astimezone(_iso_zone(zone))
        text = value.strftime(f"%Y-%m-%d{match['sep'].decode()}%H:%M:%S")
        frac = match["frac"]
        if frac:
            digits = len(frac) - 1
            text += frac[:1].decode() + f"{value.microsecond:06d}{'0' * 3}"[:digits]
        return text.encode() + (zone or b"")
    if match["slash"]:
        return value.astimezone(dt.UTC).strftime("%Y/%m/%d %H:%M:%S").encode()
    if match["epoch"]:
        num = match["num"]
        # exact integer arithmetic in the number's own unit (s, ms, us or ns)
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        scale = _EPOCH_SCALE[len(num)]
        shifted = int(num) + micros * scale // 1_000_000
        return match["epoch"][: match.start("num") - match.start("epoch")] + str(shifted).encode()
    return b"seconds:" + str(int(match["secs"]) + round(delta.total_seconds())).encode()


def refresh_timestamps(data: bytes, now: dt.datetime) -> bytes:
    """``data`` with its first timestamp set to ``now`` and every other one moved alike."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    matches = [(m, _when(m, now)) for m in _ANY.finditer(data)]
    found = [(m, when) for m, when in matches if when is not None]
    if not found:
        return data
    anchor, when = found[0]
    if not _sub_second(anchor):
        # a whole-second anchor moves by whole seconds: fractions elsewhere stay as they were
        now = now.replace(microsecond=0)
    delta = now - when
    out = bytearray()
    position = 0
    for match, when in found:
        out += data[position : match.start()]
        out += _render(match, when + delta, delta)
        position = match.end()
    out += data[position:]
    return bytes(out)


# --------------------------------------------------------------------------------------------
# Targets and transports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_target(text: str) -> Target:
    """``HOST:PORT`` or ``[IPv6]:PORT``."""
    match = re.fullmatch(
        r"\[(?P<v6>[0-9A-Fa-f:.]+)\]:(?P<p1>\d+)|(?P<host>[^\s:\[\]]+):(?P<p2>\d+)", text
    )
    if match is None:
        raise UsageError(f"--to {text!r}: expected HOST:PORT (or [IPv6]:PORT)")
    host = match["v6"] or match["host"]
    port = int(match["p1"] or match["p2"])
    if not 1 <= port <= 65535:
        raise UsageError(f"--to {text!r}: port {port} is not 1-65535")
    return Target(host, port)


class Transport(Protocol):
    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class UdpTransport:
    """One datagram per message, exactly the message's bytes."""

    def __init__(self, target: Target, timeout: float = 5.0) -> None:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise ReplayError(f"cannot resolve {target.host}: {exc}") from exc
        family, kind, proto, _, address = infos[0]
        self._socket = socket.socket(family, kind, proto)
        self._socket.settimeout(timeout)
        self._address = address

    def send(self, data: bytes) -> None:
        if len(data) > MAX_UDP_PAYLOAD:
            raise ReplayError(f"a {len(data)}-byte message does not fit in a UDP datagram")
        self._socket.sendto(data, self._address)

    def close(self) -> None:
        self._socket.close()


class TcpTransport:
    """Newline-framed messages on one TCP (or TLS) connection, opened on first use and again
    after a failure."""

    def __init__(
        self,
        target: Target,
        tls: ssl.SSLContext | None = None,
        *,
        server_name: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.target = target
        self.tls = tls
        self.server_name = server_name or target.host
        self.timeout = timeout
        self._socket: socket.socket | None = None
        self.connections = 0

    def _connect(self) -> socket.socket:
        try:
            raw = socket.create_connection((self.target.host, self.target.port), self.timeout)
        except OSError as exc:
            raise ReplayError(f"cannot connect to {self.target}: {exc}") from exc
        if self.tls is None:
            self.connections += 1
            return raw
        try:
            wrapped = self.tls.wrap_socket(raw, server_hostname=self.server_name)
        except (ssl.SSLError, OSError) as exc:
            raw.close()
            raise ReplayError(f"TLS handshake with {self.target} failed: {exc}") from exc
        self.connections += 1
        return wrapped

    def send(self, data: bytes) -> None:
        if self._socket is None:
            self._socket = self._connect()
        try:
            self._socket.sendall(data + b"\n")
        except OSError as exc:
            self.close()
            raise ReplayError(f"sending to {self.target} failed: {exc}") from exc

    def close(self) -> None:
        if self._socket is not None:
            sock, self._socket = self._socket, None
            try:
                if isinstance(sock, ssl.SSLSocket):
                    sock.settimeout(2.0)
                    sock = sock.unwrap()  # close_notify, so the server sees a clean end
            except (ssl.SSLError, OSError, ValueError):
                pass
            sock.close()


def client_tls_context(
    ca: Path | None = None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """A client context: the server checked against ``ca`` (else the system store), and a
    client certificate for mutual TLS when ``cert`` (and ``key``) are given."""
    if key is not None and cert is None:
        raise UsageError("--key needs --cert")
    try:
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert is not None:
            context.load_cert_chain(str(cert), str(key) if key else None)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load the TLS files: {exc}") from exc
    return context


def make_transport(
    target: Target,
    *,
    tcp: bool = False,
    tls: bool = False,
    ca: Path | None = None,
    cert: Path | None = None,
    key: Path | None = None,
    server_name: str | None = None,
) -> Transport:
    """UDP unless ``tcp`` or ``tls``; the TLS files are used only with ``tls``."""
    if tls:
        return TcpTransport(target, client_tls_context(ca, cert, key), server_name=server_name)
    if ca or cert or key or server_name:
        raise UsageError("--ca, --cert, --key and --server-name need --tls")
    return TcpTransport(target) if tcp else UdpTransport(target)


# --------------------------------------------------------------------------------------------
# Replaying
# --------------------------------------------------------------------------------------------


@dataclass
class ReplaySummary:
    sent: dict[str, int] = field(default_factory=dict)
    """Messages sent per log type (``-`` for a file's messages)."""
    bytes_sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    stopped: bool = False

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def rate(self) -> float:
        return self.total / self.elapsed_s if self.elapsed_s > 0 else 0.0


Progress = Callable[[str], None]


class Replayer:
    """Sends messages through one transport, paced, timestamps refreshed, counting per type."""

    def __init__(
        self,
        transport: Transport,
        *,
        rate: float = 0.0,
        refresh: bool = True,
        clock: Callable[[], float],
        sleep: Callable[[float], object],
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
        max_errors: int = 10,
    ) -> None:
        if rate < 0:
            raise UsageError("--rate must be 0 (no limit) or more")
        self.transport = transport
        self.rate = rate
        self.refresh = refresh
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.progress = progress
        self.stop = stop
        self.max_errors = max_errors

    def schedule(
        self, messages: Sequence[Message], *, count: int | None = None, loop: bool = False
    ) -> Iterator[Message]:
        """What is sent: the messages in order, repeated with ``loop``, at most ``count``."""
        if not messages:
            return
        sent = 0
        while True:
            for message in messages:
                if count is not None and sent >= count:
                    return
                yield message
                sent += 1
            if not loop:
                return

    def run(
        self, messages: Sequence[Message], *, count: int | None = None, loop: bool = False
    ) -> ReplaySummary:
        summary = ReplaySummary()
        start = self.clock()
        last_report = start
        index = 0
        try:
            for message in self.schedule(messages, count=count, loop=loop):
                if self.stop():
                    summary.stopped = True
                    break
                if self.rate > 0:
                    due = start + index / self.rate
                    wait = due - self.clock()
                    if wait > 0:
                        self.sleep(wait)
                index += 1
                data = (
                    refresh_timestamps(message.data, self.now()) if self.refresh else message.data
                )
                try:
                    self.transport.send(data)
                except ReplayError as exc:
                    summary.failed += 1
                    summary.errors.append(exc.message)
                    if summary.failed >= self.max_errors and summary.total == 0:
                        raise ReplayError(
                            f"{summary.failed} sends failed, none worked: {exc.message}"
                        ) from exc
                    continue
                key = message.log_type or "-"
                summary.sent[key] = summary.sent.get(key, 0) + 1
                summary.bytes_sent += len(data)
                now = self.clock()
                if self.progress is not None and (now - last_report >= 0.5 or index == 1):
                    last_report = now
                    self.progress(_progress_text(summary, now - start))
        finally:
            summary.elapsed_s = self.clock() - start
            self.transport.close()
        return summary


def _progress_text(summary: ReplaySummary, elapsed: float) -> str:
    rate = summary.total / elapsed if elapsed > 0 else 0.0
    failed = f", {summary.failed} failed" if summary.failed else ""
    return f"replay: {summary.total} sent ({rate:.1f}/s){failed}"


def render_summary(summary: ReplaySummary, where: str) -> str:
    rows = [[key, format_number(count)] for key, count in summary.sent.items()]
    text = table(
        ["log type", "sent"],
        rows,
        right=[1],
        footer=[["total", format_number(summary.total)]],
    )
    stopped = " (stopped)" if summary.stopped else ""
    text += (
        f"\n{summary.total} message(s), {format_number(summary.bytes_sent)} bytes to {where} in "
        f"{format_duration(summary.elapsed_s)} ({summary.rate:.1f}/s){stopped}"
    )
    if summary.failed:
        text += f"; {summary.failed} failed"
    return text + "\n"
