"""remote_write: the hand-written protobuf encoder, Snappy (cramjam) interop and the sink's HTTP."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import struct
from pathlib import Path

import cramjam
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from status_sidecar.exposition import MetricFamily, Sample
from status_sidecar.sinks import SinkError
from status_sidecar.sinks.remote_write import (
    RemoteWriteSink,
    compressed_write_request,
    encode_label,
    encode_sample,
    encode_write_request,
    ssl_context,
    write_request,
)
from tests.support.promwire import decode_write_request, snappy_decompress

FAMILIES = [
    MetricFamily(
        "logstash_stats_pipeline_events_in_total",
        "counter",
        "Events received by the pipeline.",
        (
            Sample("logstash_stats_pipeline_events_in_total", (("pipeline", "main"),), 1200.0),
            Sample("logstash_stats_pipeline_events_in_total", (("pipeline", "audit"),), 7.0),
        ),
    ),
    MetricFamily(
        "logstash_stats_jvm_mem_heap_used_ratio",
        "gauge",
        "Heap.",
        (Sample("logstash_stats_jvm_mem_heap_used_ratio", (), 0.4567),),
    ),
]


def test_should_encode_a_label_and_a_sample_as_protobuf_bytes() -> None:
    # Label{name="a", value="bc"}: field 1 (0x0a) len 1 "a", field 2 (0x12) len 2 "bc"
    assert encode_label("a", "bc") == b"\x0a\x01a\x12\x02bc"
    # Sample{value=1.5, timestamp=300}: 0x09 + little-endian double, 0x10 + varint(300)
    assert encode_sample(1.5, 300) == b"\x09" + struct.pack("<d", 1.5) + b"\x10\xac\x02"


def test_should_encode_a_whole_write_request_to_known_bytes() -> None:
    body = encode_write_request([([("__name__", "up")], 1.0, 1)])
    label = b"\x0a\x08__name__\x12\x02up"
    sample = b"\x09" + struct.pack("<d", 1.0) + b"\x10\x01"
    series = b"\x0a" + bytes([len(label)]) + label + b"\x12" + bytes([len(sample)]) + sample
    assert body == b"\x0a" + bytes([len(series)]) + series


def test_should_decode_back_every_series_with_sorted_labels_and_metadata() -> None:
    body = write_request(FAMILIES, 1_767_225_600_123, (("instance", "host-1"), ("job", "stashkit")))
    request = decode_write_request(body)
    by_key = {tuple(sorted(s.labels.items())): s.samples for s in request.series}
    key = (
        ("__name__", "logstash_stats_pipeline_events_in_total"),
        ("instance", "host-1"),
        ("job", "stashkit"),
        ("pipeline", "main"),
    )
    assert by_key[key] == [(1200.0, 1_767_225_600_123)]
    assert len(request.series) == 3
    gauge = next(s for s in request.series if s.name == "logstash_stats_jvm_mem_heap_used_ratio")
    assert gauge.samples == [(0.4567, 1_767_225_600_123)]
    meta = {m.family: m for m in request.metadata}
    assert meta["logstash_stats_pipeline_events_in_total"].type == 1  # COUNTER
    assert meta["logstash_stats_jvm_mem_heap_used_ratio"].type == 2  # GAUGE
    assert meta["logstash_stats_jvm_mem_heap_used_ratio"].help == "Heap."


def test_should_encode_negative_timestamps_as_int64() -> None:
    request = decode_write_request(encode_write_request([([("__name__", "x")], -2.5, -1)]))
    assert request.series[0].samples == [(-2.5, -1)]


def test_should_encode_unicode_labels() -> None:
    request = decode_write_request(encode_write_request([([("__name__", "x"), ("p", "é✓")], 1, 2)]))
    assert request.series[0].labels["p"] == "é✓"


SNAPPY_FIXTURES = Path(__file__).parent / "data" / "snappy"
"""Inputs (``<case>.raw.gz``) and what the previous pure-Python encoder made of them
(``<case>.snappy``), written by it before it was removed (see the folder's README)."""

SNAPPY_CASES = sorted(p.name.removesuffix(".snappy") for p in SNAPPY_FIXTURES.glob("*.snappy"))


def _fixture(case: str) -> tuple[bytes, bytes]:
    raw = gzip.decompress((SNAPPY_FIXTURES / f"{case}.raw.gz").read_bytes())
    return raw, (SNAPPY_FIXTURES / f"{case}.snappy").read_bytes()


def test_snappy_fixtures_cover_the_edge_cases() -> None:
    assert set(SNAPPY_CASES) >= {
        "empty", "one", "repeats", "run65", "run67", "zeros-two-blocks", "cycle", "random",
        "labels", "write-request",
    }  # fmt: skip
    sizes = {case: len(_fixture(case)[0]) for case in SNAPPY_CASES}
    assert sizes["zeros-two-blocks"] > 65536  # crosses Snappy's 64 KiB fragment


@pytest.mark.parametrize("case", SNAPPY_CASES)
def test_snappy_should_read_what_the_previous_encoder_wrote(case: str) -> None:
    """A receiver built on cramjam (the new code path) decodes the old bodies byte for byte."""
    raw, old = _fixture(case)
    assert bytes(cramjam.snappy.decompress_raw(old)) == raw


@pytest.mark.parametrize("case", SNAPPY_CASES)
def test_snappy_should_write_what_the_previous_decoders_read(case: str) -> None:
    """What the sink sends now decodes with the independent test-side decoder (written from the
    format description, as Prometheus' Go decoder is) to the same bytes, and is no larger than
    the old encoder's output by more than a few bytes."""
    raw, old = _fixture(case)
    new = bytes(cramjam.snappy.compress_raw(raw))
    assert snappy_decompress(new) == raw
    assert len(new) <= len(old) + 16


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=3000) | st.lists(st.sampled_from([b"ab", b"label", b"\x00"])).map(b"".join)
)
def test_snappy_should_round_trip_anything(data: bytes) -> None:
    assert snappy_decompress(bytes(cramjam.snappy.compress_raw(data))) == data


def test_should_compress_a_real_write_request_as_snappy_blocks() -> None:
    families = [
        MetricFamily(
            "logstash_stats_pipeline_plugin_events_in_total",
            "counter",
            "Events.",
            tuple(
                Sample(
                    "logstash_stats_pipeline_plugin_events_in_total",
                    (("pipeline", "main"), ("plugin_id", f"grok-{i}"), ("plugin_type", "filter")),
                    float(i * 1000),
                )
                for i in range(500)
            ),
        )
    ]
    extra = (("instance", "i"), ("job", "j"))
    raw = write_request(families, 1, extra)
    packed = compressed_write_request(families, 1, extra)
    assert isinstance(packed, bytes)
    assert snappy_decompress(packed) == raw
    assert len(packed) < len(raw) / 3


class Receiver:
    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, text="out of order sample\nmore")


def push(sink: RemoteWriteSink) -> None:
    async def go() -> None:
        try:
            await sink.push(FAMILIES, 1_767_225_600.5)
        finally:
            await sink.aclose()

    asyncio.run(go())


def test_sink_should_post_snappy_protobuf_with_the_spec_headers(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    receiver = Receiver()
    sink = RemoteWriteSink(
        "https://prom.example:9090/api/v1/write",
        job="stashkit",
        instance="host-1",
        user="writer",
        password_file=str(secret),
        server_name="prom.internal",
        transport=httpx.MockTransport(receiver),
    )
    push(sink)
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.headers["content-encoding"] == "snappy"
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["x-prometheus-remote-write-version"] == "0.1.0"
    assert request.headers["authorization"] == httpx.BasicAuth("writer", "s3cret")._auth_header
    assert request.extensions["sni_hostname"] == "prom.internal"
    decoded = decode_write_request(snappy_decompress(request.content))
    assert {s.labels["job"] for s in decoded.series} == {"stashkit"}
    assert {s.samples[0][1] for s in decoded.series} == {1_767_225_600_500}


def test_sink_should_fail_with_the_status_and_first_line_of_the_answer() -> None:
    sink = RemoteWriteSink(
        "http://prom:9090/api/v1/write",
        job="j",
        instance="i",
        transport=httpx.MockTransport(Receiver(400)),
    )
    with pytest.raises(SinkError, match=r"HTTP 400: out of order sample$"):
        push(sink)


def test_sink_should_name_a_missing_password_file_without_leaking_anything(
    tmp_path: Path,
) -> None:
    sink = RemoteWriteSink(
        "http://prom:9090/api/v1/write",
        job="j",
        instance="i",
        user="u",
        password_file=str(tmp_path / "nope"),
        transport=httpx.MockTransport(Receiver()),
    )
    with pytest.raises(SinkError, match="REMOTE_WRITE_PASSWORD_FILE"):
        push(sink)


def test_sink_should_turn_connection_errors_into_sink_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sink = RemoteWriteSink(
        "http://prom:9090/api/v1/write",
        job="j",
        instance="i",
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(SinkError, match="connection refused"):
        push(sink)


def test_ssl_context_should_verify_unless_told_not_to(tmp_path: Path) -> None:
    assert ssl_context("", False).verify_mode == ssl.CERT_REQUIRED
    insecure = ssl_context("", True)
    assert insecure.verify_mode == ssl.CERT_NONE
    assert insecure.check_hostname is False
    with pytest.raises(OSError, match="No such file"):
        ssl_context(str(tmp_path / "missing-ca.pem"), False)
