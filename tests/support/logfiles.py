"""Logstash logs to read in tests and benchmarks: blocks in the real layout (timestamps, levels,
stack traces), whole lines only, and files of many blocks."""

from __future__ import annotations

from pathlib import Path

_LEVELS = ["INFO ", "INFO ", "WARN ", "INFO ", "ERROR", "DEBUG"]


def realistic_block(size: int = 1024 * 1024) -> bytes:
    """About ``size`` bytes of Logstash log lines (with stack traces), whole lines only."""
    out: list[str] = []
    total = 0
    i = 0
    while True:
        level = _LEVELS[i % len(_LEVELS)]
        ts = f"2024-05-02T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d},{i % 1000:03d}"
        line = (
            f"[{ts}][{level}][logstash.outputs.elasticsearch][main][{i:064x}] "
            f'Retrying failed action {{:status=>429, :action=>["index", {{:_id=>nil}}], '
            f":attempt=>{i}}}\n"
        )
        if level == "ERROR":
            line += (
                "org.logstash.beats.BeatsParser$InvalidFrameProtocolException: Invalid Frame\n"
                f"\tat org.logstash.beats.BeatsParser.decode(BeatsParser.java:{i % 500})\n"
                "\t... 8 more\n"
            )
        encoded = line.encode()
        if total + len(encoded) > size:
            return "".join(out).encode()
        out.append(line)
        total += len(encoded)
        i += 1


def write_realistic_log(path: Path, size_mb: int) -> Path:
    """Write ``size_mb`` copies of a 1 MB realistic block to ``path``."""
    block = realistic_block()
    with path.open("wb") as f:
        for _ in range(size_mb):
            f.write(block)
    return path
