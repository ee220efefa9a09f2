"""Test-side readers for what the remote_write sink sends: a Snappy block decompressor and a
minimal protobuf decoder for WriteRequest. Written from the format descriptions, independent
of the encoder under test."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field


class WireError(ValueError):
    pass


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise WireError("varint too long")


def snappy_decompress(data: bytes) -> bytes:
    expected, pos = _uvarint(data, 0)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                size = n - 59
                n = int.from_bytes(data[pos : pos + size], "little")
                pos += size
            n += 1
            if pos + n > len(data):
                raise WireError("literal runs past the end")
            out += data[pos : pos + n]
            pos += n
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos : pos + 2], "little")
            pos += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise WireError(f"bad copy offset {offset}")
        for _ in range(length):  # byte by byte: copies may overlap their own output
            out.append(out[-offset])
    if len(out) != expected:
        raise WireError(f"decompressed {len(out)} bytes, header says {expected}")
    return bytes(out)


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field of one message."""
    pos = 0
    out: list[tuple[int, int, int | bytes]] = []
    while pos < len(data):
        key, pos = _uvarint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _uvarint(data, pos)
            out.append((number, wire, value))
        elif wire == 1:
            out.append((number, wire, data[pos : pos + 8]))
            pos += 8
        elif wire == 2:
            n, pos = _uvarint(data, pos)
            if pos + n > len(data):
                raise WireError("length-delimited field runs past the end")
            out.append((number, wire, data[pos : pos + n]))
            pos += n
        elif wire == 5:
            out.append((number, wire, data[pos : pos + 4]))
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire}")
    return out


@dataclass
class Series:
    labels: dict[str, str]
    samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.labels["__name__"]


@dataclass
class Metadata:
    type: int
    family: str
    help: str
    unit: str


@dataclass
class WriteRequest:
    series: list[Series]
    metadata: list[Metadata]


def decode_write_request(body: bytes) -> WriteRequest:
    series: list[Series] = []
    metadata: list[Metadata] = []
    for number, wire, value in _fields(body):
        if number == 1 and wire == 2:
            assert isinstance(value, bytes)
            series.append(_series(value))
        elif number == 3 and wire == 2:
            assert isinstance(value, bytes)
            metadata.append(_metadata(value))
        else:
            raise WireError(f"unexpected WriteRequest field {number}/{wire}")
    return WriteRequest(series, metadata)


def _series(data: bytes) -> Series:
    labels: dict[str, str] = {}
    order: list[str] = []
    samples: list[tuple[float, int]] = []
    for number, wire, value in _fields(data):
        assert isinstance(value, bytes) and wire == 2
        if number == 1:
            name = value_ = ""
            for n, _, v in _fields(value):
                assert isinstance(v, bytes)
                if n == 1:
                    name = v.decode()
                elif n == 2:
                    value_ = v.decode()
            labels[name] = value_
            order.append(name)
        elif number == 2:
            sample_value, timestamp = 0.0, 0
            for n, _, v in _fields(value):
                if n == 1:
                    assert isinstance(v, bytes)
                    sample_value = struct.unpack("<d", v)[0]
                elif n == 2:
                    assert isinstance(v, int)
                    timestamp = v - (1 << 64) if v >= 1 << 63 else v
            samples.append((sample_value, timestamp))
        else:
            raise WireError(f"unexpected TimeSeries field {number}")
    if order != sorted(order):
        raise WireError(f"labels not sorted by name: {order}")
    return Series(labels, samples)


def _metadata(data: bytes) -> Metadata:
    type_, family, help_, unit = 0, "", "", ""
    for number, _, value in _fields(data):
        if number == 1:
            assert isinstance(value, int)
            type_ = value
        elif number == 2:
            assert isinstance(value, bytes)
            family = value.decode()
        elif number == 4:
            assert isinstance(value, bytes)
            help_ = value.decode()
        elif number == 5:
            assert isinstance(value, bytes)
            unit = value.decode()
    return Metadata(type_, family, help_, unit)
