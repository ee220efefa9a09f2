"""The remote_write 1.0 sink: a protobuf WriteRequest, Snappy-compressed, POSTed over HTTP(S).

The protobuf encoder is hand-written for the few messages remote_write 1.0 needs
(prometheus/prompb/remote.proto and types.proto):

    WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
    TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; }
    Label          { string name = 1; string value = 2; }
    Sample         { double value = 1; int64 timestamp = 2; }   // milliseconds
    MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
                     string unit = 5; }

Every series carries ``__name__``, its own labels and ``job``/``instance``, sorted by name as
the spec requires. The body is compressed with the Snappy block format (no framing), as
remote_write 1.0 requires, by ``cramjam.snappy.compress_raw``: about 0.5 ms for a 570 KB request
where the pure-Python encoder it replaced took 50 ms (``make bench``).

TLS: a custom CA, skipping verification, and the server name (SNI) to expect
are all set on an :class:`ssl.SSLContext` / the request; the basic-auth password is read from
its file at each push, so a rotated secret is picked up without a restart.
"""

from __future__ import annotations

import ssl
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import anyio.to_thread
import cramjam
import httpx

from ..exposition import MetricFamily
from . import SinkError

_METADATA_TYPES = {"counter": 1, "gauge": 2, "histogram": 3, "info": 6}
_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # int64: negatives as ten-byte two's complement
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_label(name: str, value: str) -> bytes:
    return _field(1, name.encode()) + _field(2, value.encode())


def encode_sample(value: float, timestamp_ms: int) -> bytes:
    return b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(timestamp_ms)


def encode_write_request(
    series: Iterable[tuple[Sequence[tuple[str, str]], float, int]],
    metadata: Iterable[tuple[str, str, str, str]] = (),
) -> bytes:
    """``series``: (labels sorted by name, value, timestamp ms); ``metadata``: (type, family,
    help, unit)."""
    parts: list[bytes] = []
    label_cache: dict[tuple[str, str], bytes] = {}
    for labels, value, timestamp_ms in series:
        body = bytearray()
        for pair in labels:
            encoded = label_cache.get(pair)
            if encoded is None:
                encoded = label_cache[pair] = _field(1, encode_label(*pair))
            body += encoded
        body += _field(2, encode_sample(value, timestamp_ms))
        parts.append(_field(1, bytes(body)))
    for type_, family, help_, unit in metadata:
        meta = _varint(1 << 3) + _varint(_METADATA_TYPES.get(type_, 0)) + _field(2, family.encode())
        meta += _field(4, help_.encode())
        if unit:
            meta += _field(5, unit.encode())
        parts.append(_field(3, meta))
    return b"".join(parts)


def write_request(
    families: Sequence[MetricFamily], timestamp_ms: int, extra: Sequence[tuple[str, str]]
) -> bytes:
    """The uncompressed WriteRequest for one snapshot; ``extra`` are job/instance labels."""

    def series() -> Iterable[tuple[Sequence[tuple[str, str]], float, int]]:
        for fam in families:
            for s in fam.samples:
                labels = sorted([("__name__", s.name), *s.labels, *extra])
                yield labels, s.value, timestamp_ms

    metadata = [(f.type, f.name, f.help, f.unit) for f in families]
    return encode_write_request(series(), metadata)


def compressed_write_request(
    families: Sequence[MetricFamily], timestamp_ms: int, extra: Sequence[tuple[str, str]]
) -> bytes:
    return bytes(cramjam.snappy.compress_raw(write_request(families, timestamp_ms, extra)))


def ssl_context(ca_file: str, insecure_skip_verify: bool) -> ssl.SSLContext:
    """Verification against ``ca_file`` (or the system CAs), or none at all when asked."""
    if insecure_skip_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return ssl.create_default_context()


class RemoteWriteSink:
    name = "remote_write"

    def __init__(
        self,
        url: str,
        *,
        job: str,
        instance: str,
        user: str = "",
        password_file: str = "",
        ca_file: str = "",
        insecure_skip_verify: bool = False,
        server_name: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.target = url
        self._labels = (("instance", instance), ("job", job))
        self._user = user
        self._password_file = password_file
        self._ca_file = ca_file
        self._insecure = insecure_skip_verify
        self._server_name = server_name
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            try:
                verify = ssl_context(self._ca_file, self._insecure)
            except (OSError, ssl.SSLError) as exc:
                raise SinkError(f"cannot load REMOTE_WRITE_CA_FILE {self._ca_file}: {exc}") from exc
            self._http = httpx.AsyncClient(
                verify=verify, timeout=_TIMEOUT, transport=self._transport
            )
        return self._http

    def _auth(self) -> httpx.BasicAuth | None:
        if not self._user:
            return None
        password = ""
        if self._password_file:
            try:
                password = Path(self._password_file).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SinkError(
                    f"cannot read REMOTE_WRITE_PASSWORD_FILE {self._password_file}: "
                    f"{exc.strerror or exc}"
                ) from exc
        return httpx.BasicAuth(self._user, password)

    async def push(self, families: Sequence[MetricFamily], timestamp: float) -> None:
        body = await anyio.to_thread.run_sync(
            compressed_write_request, families, int(timestamp * 1000), self._labels
        )
        http = self._client()
        auth = self._auth()
        extensions = {"sni_hostname": self._server_name} if self._server_name else None
        try:
            response = await http.post(
                self.url,
                content=body,
                headers={
                    "Content-Type": "application/x-protobuf",
                    "Content-Encoding": "snappy",
                    "X-Prometheus-Remote-Write-Version": "0.1.0",
                    "User-Agent": "stashkit-status-sidecar",
                },
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                extensions=extensions,
            )
        except httpx.HTTPError as exc:
            raise SinkError(f"POST {self.url} failed: {_short(exc)}") from exc
        if not 200 <= response.status_code < 300:
            detail = response.text.strip().splitlines()[:1]
            raise SinkError(
                f"POST {self.url} answered HTTP {response.status_code}"
                + (f": {detail[0][:160]}" if detail else "")
            )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
