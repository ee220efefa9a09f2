"""The bounded log window: the last N lines, within the byte cap, long lines cut and marked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from status_sidecar import logwindow
from status_sidecar.logs import tail_lines
from status_sidecar.logwindow import Limits, NotARegularFile


def window_text(path: Path, n: int, limits: Limits, chunk: int = logwindow.CHUNK) -> bytes:
    fd = logwindow.open_regular(path)
    try:
        window = logwindow.find_window(fd, n, limits, chunk=chunk)
        return b"".join(logwindow.iter_lines(fd, window, limits, chunk=chunk))
    finally:
        os.close(fd)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "logstash-plain.log"


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")), max_size=40),
    final_newline=st.booleans(),
    n=st.integers(min_value=1, max_value=50),
    chunk=st.integers(min_value=1, max_value=17),
)
def test_should_hold_the_same_lines_as_a_plain_tail_when_no_cap_is_hit(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    final_newline: bool,
    n: int,
    chunk: int,
) -> None:
    path = tmp_path_factory.mktemp("w") / "log"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline and lines else b""))
    got = window_text(path, n, Limits(), chunk).decode("utf-8", errors="replace")
    assert got.split("\n")[:-1] == tail_lines(path, n)


def test_should_stop_at_the_byte_cap_and_say_so(log: Path) -> None:
    log.write_bytes(b"q\n" * 2000)
    limits = Limits(max_bytes=1000, max_line_bytes=100)
    fd = logwindow.open_regular(log)
    try:
        window = logwindow.find_window(fd, 1000, limits)
    finally:
        os.close(fd)
    assert window.lines == 500 and window.capped_by_bytes
    assert window.truncated == ("bytes",)
    notice = window.notice(limits)
    assert notice is not None and "last 500 of 1,000 requested lines" in notice
    assert len(window_text(log, 1000, limits)) == 1000


def test_should_cut_a_long_line_to_its_first_bytes_with_a_marker(log: Path) -> None:
    log.write_bytes(b"a\n" + b"y" * 200 + b"\nend\n")
    text = window_text(log, 5, Limits(max_bytes=10_000, max_line_bytes=50)).decode()
    assert text.splitlines() == [
        "a",
        "y" * 50 + " …[line cut by stashkit: 200 bytes in all]",
        "end",
    ]


def test_should_read_only_a_bounded_part_of_one_huge_line(log: Path) -> None:
    log.write_bytes(b"z" * 50_000)
    limits = Limits(max_bytes=1000, max_line_bytes=50)
    fd = logwindow.open_regular(log)
    try:
        window = logwindow.find_window(fd, 1, limits)
    finally:
        os.close(fd)
    assert window.starts_mid_line and window.start == 50_000 - logwindow.SCAN_FACTOR * 1000
    text = window_text(log, 1, limits).decode()
    assert text.startswith(logwindow.PARTIAL_MARKER) and "line cut by stashkit" in text
    assert len(text) < 200


def test_should_handle_crlf_and_an_empty_file(log: Path) -> None:
    log.write_bytes(b"one\r\ntwo\r\n")
    assert window_text(log, 5, Limits()) == b"one\ntwo\n"
    log.write_bytes(b"")
    assert window_text(log, 5, Limits()) == b""


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_should_refuse_what_is_not_a_regular_file_without_blocking(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "logstash-plain.log"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(NotARegularFile) as raised:
        logwindow.open_regular(path)
    assert str(path) in str(raised.value)
    assert raised.value.kind == {"fifo": "a FIFO (named pipe)", "directory": "a directory"}[kind]


def test_should_refuse_a_device() -> None:
    with pytest.raises(NotARegularFile, match="a character device"):
        logwindow.open_regular(Path("/dev/null"))


def test_read_text_should_put_the_notice_first(log: Path) -> None:
    log.write_bytes(b"line\n" * 1000)
    text, window = logwindow.read_text(log, 1000, Limits(max_bytes=600, max_line_bytes=100))
    assert window.capped_by_bytes
    first, *rest = text.splitlines()
    assert first.startswith("[stashkit] this answer was cut")
    assert set(rest) == {"line"}
