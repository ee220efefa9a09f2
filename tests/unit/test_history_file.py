"""The history file: append, restore (torn last line, damage, age), compaction bound."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from status_sidecar.sinks.history import HistoryFile, parse_line, record
from status_sidecar.store import Point

NOW = 1_767_225_600.0


def line(t: float, *, events: int = 100, restart: bool = False, restarts: int = 0) -> str:
    return record(
        Point(t, 10.0, events, events, events - 1, restart),
        reason="Logstash restarted (uptime went back)" if restart else None,
        health="healthy",
        restarts=restarts,
        totals={"in": 1000, "filtered": 1000, "out": 990},
        log_types={"microseg": [10, 9, 0, 0]},
    )


def test_record_should_be_one_compact_json_line_that_parses_back() -> None:
    text = line(NOW, restart=True, restarts=3)
    assert "\n" not in text
    doc = json.loads(text)
    assert doc["v"] == 1 and doc["health"] == "healthy" and doc["restarts"] == 3
    assert doc["reason"] == "Logstash restarted (uptime went back)"
    parsed = parse_line(text.encode())
    assert parsed is not None
    point, reason, restarts = parsed
    assert point == Point(NOW, 10.0, 100, 100, 99, True)
    assert reason == "Logstash restarted (uptime went back)" and restarts == 3


def test_should_restore_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    writer = HistoryFile(path, history_points=100)
    writer.append([line(NOW - 30 + i * 10) for i in range(3)])
    restored = HistoryFile(path, history_points=100).restore(NOW)
    assert [p.t for p in restored.points] == [NOW - 30, NOW - 20, NOW - 10]
    assert restored.skipped == 0 and not restored.torn_tail and restored.lines == 3


def test_should_skip_a_torn_last_line_and_cut_it_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    good = line(NOW - 20)
    path.write_text(good + "\n" + line(NOW - 10)[:37])  # killed mid-write
    history = HistoryFile(path, history_points=100)
    restored = history.restore(NOW)
    assert [p.t for p in restored.points] == [NOW - 20]
    assert restored.torn_tail and restored.skipped == 1
    history.append([line(NOW)])
    assert path.read_text().splitlines() == [good, line(NOW)]
    again = HistoryFile(path, history_points=100).restore(NOW)
    assert [p.t for p in again.points] == [NOW - 20, NOW] and again.skipped == 0


def test_should_skip_damaged_lines_anywhere_and_never_fail(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                line(NOW - 40).encode(),
                b"\x00\xff garbage",
                b'{"v": 99, "t": 1}',
                b"[1, 2, 3]",
                b'{"v":1,"t":"soon","interval_s":10,"in":1,"filtered":1,"out":1,"restart":false}',
                b'{"v":1,"t":1,"interval_s":10,"in":-5,"filtered":1,"out":1,"restart":false}',
                b"",
                line(NOW - 10).encode(),
            ]
        )
        + b"\n"
    )
    restored = HistoryFile(path, history_points=100).restore(NOW)
    assert [p.t for p in restored.points] == [NOW - 40, NOW - 10]
    assert restored.skipped == 5


def test_should_restore_only_the_last_24_hours_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    HistoryFile(path, 100).append(
        [
            line(NOW - 90_000),  # older than 24 h
            line(NOW - 600),
            line(NOW - 700),  # out of order: dropped
            line(NOW - 500),
            line(NOW + 3600),  # from the future (clock jump): dropped
        ]
    )
    restored = HistoryFile(path, 100).restore(NOW)
    assert [p.t for p in restored.points] == [NOW - 600, NOW - 500]


def test_should_restore_restart_events_and_the_restart_count(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    HistoryFile(path, 100).append(
        [line(NOW - 30, restarts=1), line(NOW - 20, restart=True, restarts=2), line(NOW - 10)]
    )
    restored = HistoryFile(path, 100).restore(NOW)
    assert [(r.t, r.reason) for r in restored.restarts] == [
        (NOW - 20, "Logstash restarted (uptime went back)")
    ]
    assert restored.restart_count == 2


def test_should_stay_bounded_by_compaction(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history = HistoryFile(path, history_points=50)
    for i in range(260):
        history.append([line(NOW - 2600 + i * 10)])
        assert history.lines <= 100
    assert history.compactions >= 3
    kept = path.read_text().splitlines()
    assert 50 <= len(kept) < 100
    assert kept[-1] == line(NOW - 10)
    assert not (tmp_path / "history.jsonl.tmp").exists()
    restored = HistoryFile(path, history_points=50).restore(NOW)
    assert len(restored.points) == 50
    assert restored.points[-1].t == NOW - 10


def test_a_missing_file_should_restore_nothing(tmp_path: Path) -> None:
    restored = HistoryFile(tmp_path / "absent.jsonl", 10).restore(NOW)
    assert restored.points == [] and restored.lines == 0


class FullDisk:
    """An injected writer: writes ``room`` bytes in all, then fails with ENOSPC (a short
    write first, as a real filesystem does when the last block fills)."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, fd: int, data: memoryview) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = os.write(fd, data[: self.room])
        self.room -= written
        return written


def test_a_failed_append_should_be_cut_back_and_a_retry_stay_whole(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    HistoryFile(path, history_points=100).append([line(NOW - 20), line(NOW - 10)])
    good = path.read_bytes()
    disk = FullDisk(room=30)  # part of the next line fits, then the disk is full
    history = HistoryFile(path, history_points=100, write=disk)
    with pytest.raises(OSError, match="No space"):
        history.append([line(NOW)])
    assert path.read_bytes() == good  # the torn part was cut away
    disk.room = 10_000  # space again: the retry appends whole lines
    history.append([line(NOW)])
    restored = HistoryFile(path, history_points=100).restore(NOW + 1)
    assert restored.skipped == 0 and len(restored.points) == 3


def test_a_torn_tail_should_be_cut_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(line(NOW - 10) + "\n" + line(NOW - 5)[:25])  # a crash mid-line
    HistoryFile(path, history_points=100).append([line(NOW)])
    raw = path.read_bytes().splitlines()
    assert len(raw) == 2
    for item in raw:
        json.loads(item)


def test_a_failed_compaction_should_keep_the_original_file(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    writer = HistoryFile(path, history_points=5)
    writer.append([line(NOW - 100 + i) for i in range(9)])
    before = path.read_bytes()
    # Room for the appended line, not for the compacted copy.
    failing = HistoryFile(path, history_points=5, write=FullDisk(room=len(line(NOW)) + 1))
    failing.lines = 9
    failing.append([line(NOW)])  # reaches the bound: compaction runs and fails
    assert failing.compaction_error is not None and "No space" in failing.compaction_error
    assert path.read_bytes().startswith(before)  # nothing replaced by a torn file
    assert not (tmp_path / "history.jsonl.tmp").exists()
    assert failing.compactions == 0


def test_a_failed_fsync_during_compaction_should_keep_the_original(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    HistoryFile(path, history_points=5).append([line(NOW - 100 + i) for i in range(10)])
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    history = HistoryFile(path, history_points=5, fsync=broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        history.compact()
    assert path.read_bytes() == before
    assert not (tmp_path / "history.jsonl.tmp").exists()
