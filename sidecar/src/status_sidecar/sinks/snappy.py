"""A small pure-Python Snappy compressor (block format, as remote_write 1.0 requires).

The block format is a varint of the uncompressed length followed by literals and back
references ("copies"). This encoder hashes 4-byte sequences within each 64 KiB fragment, like
the reference implementation, and skips ahead faster through data that does not compress.
A remote_write body is a few hundred KB at most and is compressed off the event loop once per
publish interval, so pure Python is fast enough and keeps a C extension out of the image.
"""

from __future__ import annotations

_BLOCK = 1 << 16


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _literal(out: bytearray, data: bytes, start: int, end: int) -> None:
    n = end - start
    if n <= 0:
        return
    if n <= 60:
        out.append((n - 1) << 2)
    else:
        size = ((n - 1).bit_length() + 7) // 8  # 1..4 bytes of length
        out.append((59 + size) << 2)
        out += (n - 1).to_bytes(size, "little")
    out += data[start:end]


def _copy(out: bytearray, offset: int, length: int) -> None:
    """Back reference of ``length`` >= 4 bytes at ``offset`` < 65536."""
    while length >= 68:
        out += bytes((0x02 | (63 << 2),)) + offset.to_bytes(2, "little")
        length -= 64
    if length > 64:  # 65..67: leave at least 4 for the last element
        out += bytes((0x02 | (59 << 2),)) + offset.to_bytes(2, "little")
        length -= 60
    if length <= 11 and offset < 2048:
        out.append(0x01 | ((length - 4) << 2) | ((offset >> 8) << 5))
        out.append(offset & 0xFF)
    else:
        out.append(0x02 | ((length - 1) << 2))
        out += offset.to_bytes(2, "little")


def _block(out: bytearray, data: bytes, start: int, end: int) -> None:
    table: dict[bytes, int] = {}
    literal_from = start
    i = start
    last = end - 4
    skip = 32
    while i <= last:
        key = data[i : i + 4]
        candidate = table.get(key)
        table[key] = i
        if candidate is None:
            i += skip >> 5
            skip += 1
            continue
        skip = 32
        m, c = i + 4, candidate + 4
        while m + 8 <= end and data[m : m + 8] == data[c : c + 8]:
            m += 8
            c += 8
        while m < end and data[m] == data[c]:
            m += 1
            c += 1
        _literal(out, data, literal_from, i)
        _copy(out, i - candidate, m - i)
        i = literal_from = m
    _literal(out, data, literal_from, end)


def compress(data: bytes) -> bytes:
    """Snappy block-format compression of ``data``."""
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), _BLOCK):
        _block(out, data, start, min(start + _BLOCK, len(data)))
    return bytes(out)
