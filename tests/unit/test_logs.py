"""status_sidecar.logs: tail, parse, summarise and follow the Logstash plain log."""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from status_sidecar import logs
from status_sidecar.logs import (
    LogEntry,
    LogFollower,
    iter_entries,
    level_of,
    normalize_message,
    parse_line,
    summarize,
    tail_bytes_iter,
    tail_lines,
)
from tests.support.logfiles import realistic_block

# ../shared beside the repository (the project does not copy it); skipped when absent.
REAL_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "logstash" / "logs"

# --------------------------------------------------------------------------------------
# A log written in the shape of real logstash-plain.log files (7.x/8.x layout)
# --------------------------------------------------------------------------------------

# Written for these tests in the shape of real logstash-plain.log files (8.x layout):
# padded and overlong loggers, pipeline and plugin ids, a message starting with "[",
# a trailing space, stack traces with "Caused by:" and "... 8 more", FATAL lines.
SAMPLE = (Path(__file__).parent / "data" / "logstash-plain-sample.log").read_text()
SAMPLE_LINES = SAMPLE.splitlines()
SAMPLE_CONTINUATIONS = [i for i, line in enumerate(SAMPLE_LINES) if not line.startswith("[")]


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def reference_tail(path: Path, n: int) -> list[str]:
    """The naive reference: read everything, split, slice."""
    if n == 0:
        return []
    return path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:]


# --------------------------------------------------------------------------------------
# tail_lines
# --------------------------------------------------------------------------------------

TAIL_CONTENTS: dict[str, bytes] = {
    "empty": b"",
    "one newline": b"\n",
    "only newlines": b"\n\n\n",
    "one line, no newline": b"abc",
    "one line": b"abc\n",
    "no trailing newline": b"a\nbb\nccc",
    "trailing newline": b"a\nbb\nccc\n",
    "empty lines inside": b"a\n\n\nb\n\n",
    "crlf": b"a\r\nbb\r\nccc\r\n",
    "crlf without trailing": b"a\r\nbb\r\nccc",
    "only crlf": b"\r\n\r\n",
    "mixed endings": b"a\r\nb\nc\r\nd",
    "long lines": b"x" * 300 + b"\n" + b"y" * 1000 + b"\n" + b"z" * 70,
    "multibyte utf-8": "é€😀\nçà\n日本語のログ\n".encode(),
    "invalid utf-8": b"\xff\xfe ok\n\xc3\nbad \xe2\x82 end\n\xf0\x9f\x98",
    "sample log": SAMPLE.encode(),
    "sample log crlf": SAMPLE.replace("\n", "\r\n").encode(),
}


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 64, 4096, 64 * 1024])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 10, 29, 1000])
@pytest.mark.parametrize("name", list(TAIL_CONTENTS))
def test_should_return_the_same_last_lines_as_the_naive_reference(
    tmp_path: Path, name: str, n: int, chunk_size: int
) -> None:
    path = write(tmp_path / "logstash-plain.log", TAIL_CONTENTS[name])
    assert tail_lines(path, n, chunk_size=chunk_size) == reference_tail(path, n)


@pytest.mark.parametrize(
    ("data", "n", "expected"),
    [
        (b"", 5, []),
        (b"\n", 5, [""]),
        (b"a\n\n", 5, ["a", ""]),
        (b"a\nb", 1, ["b"]),
        (b"a\nb\n", 1, ["b"]),
        (b"a\r\nb\r\n", 2, ["a", "b"]),
        # Lines split on \n only: a lone \r, form feed or U+2028 stays in its line.
        (b"a\rb\x0cc\xe2\x80\xa8d\n", 1, ["a\rb\x0cc\u2028d"]),
        (b"caf\xc3\n", 1, ["caf\ufffd"]),
    ],
)
def test_should_split_lines_on_newline_only(
    tmp_path: Path, data: bytes, n: int, expected: list[str]
) -> None:
    path = write(tmp_path / "x.log", data)
    assert tail_lines(path, n, chunk_size=3) == expected


# Characters str.splitlines treats as line breaks; tail_lines only breaks on \n (and
# strips the \r of \r\n), so the property tests keep them out of line contents.
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_line_text = st.text(
    alphabet=st.characters(exclude_characters=_BREAKS, codec="utf-8"),
    max_size=40,
) | st.sampled_from(["", "x" * 200, "[2024-01-01T00:00:00,000][INFO ][a] b"])


@st.composite
def log_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_line_text, max_size=30))
    out = []
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        ending = draw(st.sampled_from(["\n", "\r\n"]))
        if last and draw(st.booleans()):
            ending = ""  # no trailing newline
        out.append(line + ending)
    return "".join(out).encode()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hypothesis") / "logstash-plain.log"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=log_files(), n=st.integers(min_value=0, max_value=35), chunk=st.integers(1, 80))
@example(data=b"a\r\n", n=1, chunk=1)
@example(data=b"\r\n\r\n", n=1, chunk=2)
def test_should_match_the_reference_for_random_text_files(
    scratch: Path, data: bytes, n: int, chunk: int
) -> None:
    write(scratch, data)
    assert tail_lines(scratch, n, chunk_size=chunk) == reference_tail(scratch, n)


def _reference_bytes(data: bytes, n: int) -> list[str]:
    """Reference for arbitrary bytes: decode everything, split on \\n only."""
    if n == 0 or not data:
        return []
    lines = data.decode("utf-8", errors="replace").split("\n")
    if data.endswith(b"\n"):
        lines.pop()
    return [line.removesuffix("\r") for line in lines][-n:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=400)
    | st.lists(st.sampled_from([b"\n", b"\r\n", b"\r", b"\xc3", b"\xa9", b"\xe2\x82", b"ab"])).map(
        b"".join
    ),
    n=st.integers(min_value=0, max_value=40),
    chunk=st.integers(1, 50),
)
def test_should_match_a_whole_file_decode_for_random_bytes(
    scratch: Path, data: bytes, n: int, chunk: int
) -> None:
    write(scratch, data)
    assert tail_lines(scratch, n, chunk_size=chunk) == _reference_bytes(data, n)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=log_files(), n=st.integers(min_value=0, max_value=35), chunk=st.integers(1, 80))
def test_should_stream_exactly_the_bytes_of_the_last_lines(
    scratch: Path, data: bytes, n: int, chunk: int
) -> None:
    write(scratch, data)
    streamed = b"".join(tail_bytes_iter(scratch, n, chunk_size=chunk))
    assert data.endswith(streamed)
    start = len(data) - len(streamed)
    assert streamed == b"" if n == 0 else (start == 0 or data[start - 1 : start] == b"\n")
    assert _reference_bytes(streamed, n) == tail_lines(scratch, n)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda p: tail_lines(p, 10), id="tail_lines"),
        pytest.param(lambda p: tail_lines(p, 0), id="tail_lines n=0"),
        pytest.param(lambda p: list(tail_bytes_iter(p, 10)), id="tail_bytes_iter"),
    ],
)
def test_should_raise_file_not_found_for_a_missing_file(
    tmp_path: Path, call: Callable[[Path], object]
) -> None:
    with pytest.raises(FileNotFoundError):
        call(tmp_path / "missing.log")


@pytest.mark.parametrize(("n", "chunk_size"), [(-1, 10), (5, 0), (5, -3)])
def test_should_reject_invalid_tail_arguments(tmp_path: Path, n: int, chunk_size: int) -> None:
    path = write(tmp_path / "x.log", b"a\n")
    with pytest.raises(ValueError, match="must be"):
        tail_lines(path, n, chunk_size=chunk_size)


def _hook_first_pread(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    real_pread = os.pread
    fired = False

    def pread(fd: int, size: int, offset: int) -> bytes:
        nonlocal fired
        if not fired:
            fired = True
            action()
        return real_pread(fd, size, offset)

    monkeypatch.setattr(os, "pread", pread)


def test_should_start_again_when_the_file_is_truncated_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "x.log", "".join(f"old line {i}\n" for i in range(5000)))

    def copytruncate() -> None:
        write(path, b"fresh 1\nfresh 2\n")

    _hook_first_pread(monkeypatch, copytruncate)
    assert tail_lines(path, 3, chunk_size=100) == ["fresh 1", "fresh 2"]


def test_should_finish_on_the_old_file_when_it_is_rotated_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "logstash-plain.log", "".join(f"line {i}\n" for i in range(100)))

    def rotate() -> None:
        path.rename(tmp_path / "logstash-plain-2024-05-02-1.log")
        write(path, b"new file\n")

    _hook_first_pread(monkeypatch, rotate)
    assert tail_lines(path, 2, chunk_size=16) == ["line 98", "line 99"]


def test_should_give_nothing_rather_than_fail_when_truncated_on_every_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "x.log", b"a\nb\nc\n")
    monkeypatch.setattr(os, "pread", lambda fd, size, offset: b"")
    assert tail_lines(path, 2) == []
    assert list(tail_bytes_iter(path, 2)) == []


# --------------------------------------------------------------------------------------
# Big files: bounded time and memory
# --------------------------------------------------------------------------------------


def _measure(path: Path, n: int) -> tuple[list[str], float, float]:
    """Return (lines, median seconds over 5 runs, tracemalloc peak MB of one run)."""
    tail_lines(path, n)  # warm the page cache like a live log file
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        tail_lines(path, n)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    try:
        lines = tail_lines(path, n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, statistics.median(times), peak / 1e6


def test_should_tail_a_sparse_one_gigabyte_file_in_bounded_time_and_memory(
    tmp_path: Path,
) -> None:
    block = realistic_block()
    path = tmp_path / "logstash-plain.log"
    with path.open("wb") as f:
        f.truncate(1024**3 - 4 * len(block))  # a hole: reading it would be slow
        f.seek(0, os.SEEK_END)
        for _ in range(4):
            f.write(block)
    assert path.stat().st_size == 1024**3
    lines, seconds, peak_mb = _measure(path, 1000)
    assert lines == block.decode().splitlines()[-1000:]
    assert seconds < 0.05
    assert peak_mb < 10


@pytest.mark.slow
def test_should_tail_a_written_one_gigabyte_file_in_bounded_time_and_memory(
    tmp_path: Path,
) -> None:
    block = realistic_block()
    path = tmp_path / "logstash-plain.log"
    try:
        with path.open("wb") as f:
            for _ in range(1024):
                f.write(block)
        assert path.stat().st_size > 1000 * 1024 * 1024
        lines, seconds, peak_mb = _measure(path, 1000)
        assert lines == block.decode().splitlines()[-1000:]
        assert seconds < 0.05
        assert peak_mb < 10
        streamed = b"".join(tail_bytes_iter(path, 1000))
        assert streamed.decode().splitlines() == lines
    finally:
        path.unlink(missing_ok=True)  # pytest keeps the last tmp dirs: don't keep 1 GB


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------

H = "[2024-05-02T08:00:05,230]"


def entry(level: str, logger: str, pipeline: str | None, plugin: str | None, msg: str) -> LogEntry:
    return LogEntry("2024-05-02T08:00:05,230", level, logger, pipeline, plugin, msg)


ES = "logstash.outputs.elasticsearch"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            f"{H}[INFO ][logstash.agent           ] Pipelines running {{:count=>1}}",
            entry("INFO", "logstash.agent", None, None, "Pipelines running {:count=>1}"),
            id="padded logger, no ids",
        ),
        pytest.param(
            f"{H}[WARN ][{ES}][main] Restored connection",
            entry("WARN", ES, "main", None, "Restored connection"),
            id="long logger with pipeline id",
        ),
        pytest.param(
            f"{H}[DEBUG][logstash.filters.sleep   ][test][ab43b8634ef1] Sleeping {{:delay=>1}}",
            entry(
                "DEBUG", "logstash.filters.sleep", "test", "ab43b8634ef1", "Sleeping {:delay=>1}"
            ),
            id="pipeline and plugin id",
        ),
        pytest.param(
            f"{H}[ERROR][{ES}][.monitoring-logstash] Encountered",
            entry("ERROR", ES, ".monitoring-logstash", None, "Encountered"),
            id="dotted pipeline id",
        ),
        pytest.param(
            f"{H}[INFO ][org.logstash.beats.BeatsHandler] [local: 1.2.3.4:5044] Handling",
            entry(
                "INFO",
                "org.logstash.beats.BeatsHandler",
                None,
                None,
                "[local: 1.2.3.4:5044] Handling",
            ),
            id="message starting with a bracket",
        ),
        pytest.param(
            f"{H}[FATAL][org.logstash.Logstash    ] Logstash stopped processing",
            entry("FATAL", "org.logstash.Logstash", None, None, "Logstash stopped processing"),
            id="fatal",
        ),
        pytest.param(
            f"{H}[TRACE][logstash.inputs.tcp      ][main] ",
            entry("TRACE", "logstash.inputs.tcp", "main", None, ""),
            id="empty message",
        ),
        pytest.param(
            f"{H}[INFO ][org.reflections.Reflections] took 73 ms \r\n",
            entry("INFO", "org.reflections.Reflections", None, None, "took 73 ms "),
            id="trailing space kept, CRLF removed",
        ),
        pytest.param(
            "[2024-05-02T08:00:05.230Z][INFO ][a.b] dot and zone",
            LogEntry("2024-05-02T08:00:05.230Z", "INFO", "a.b", None, None, "dot and zone"),
            id="iso timestamp with dot and Z",
        ),
    ],
)
def test_should_parse_header_lines(line: str, expected: LogEntry) -> None:
    assert parse_line(line) == expected
    assert level_of(line) == expected.level


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   ",
        "\tat org.jruby.RubyKernel.exit(org/jruby/RubyKernel.java:747) ~[jruby-complete.jar:?]",
        "Caused by: org.logstash.beats.BeatsParser$InvalidFrameProtocolException: received: 69",
        "\t... 8 more",
        "org.jruby.exceptions.SystemExit: (SystemExit) exit",
        "[local: 1.2.3.4:5044] not a header",
        "[2024-05-02T08:00:05,230][NOTICE][a.b] unknown level",
        "[2024-05-02T08:00:05,230] [INFO ][a.b] space between brackets",
        "[2024-05-02T08:00:05,230][INFO ][a.b]glued message",
        "[yesterday][INFO ][a.b] bad time",
    ],
)
def test_should_treat_other_lines_as_continuations(line: str) -> None:
    assert parse_line(line) is None
    if not line.startswith("[2024-05-02T08:00:05,230][INFO ][a.b]"):
        assert level_of(line) is None


def test_should_parse_every_line_of_the_sample_log() -> None:
    parsed = [parse_line(line) for line in SAMPLE_LINES]
    assert [i for i, e in enumerate(parsed) if e is None] == SAMPLE_CONTINUATIONS
    entries = [e for e in parsed if e is not None]
    assert [e.level for e in entries] == [level_of(line) for line in SAMPLE_LINES if level_of(line)]
    assert all(e.logger == e.logger.strip() and e.logger for e in entries)
    by_ts = {e.timestamp: e for e in entries}
    syslog = by_ts["2024-05-02T08:00:05,990"]
    assert syslog.pipeline_id == "main"
    assert syslog.plugin_id == "7d2c1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"
    assert by_ts["2024-05-02T08:00:04,005"].message.endswith("values ")


def test_should_group_continuation_lines_with_the_entry_above() -> None:
    entries = list(iter_entries(["\tat orphan.Frame(X.java:1)", *SAMPLE_LINES]))
    assert len(entries) == len(SAMPLE_LINES) - len(SAMPLE_CONTINUATIONS)
    warn = next(e for e in entries if e.timestamp == "2024-05-02T08:01:13,368")
    assert warn.continuation[0].startswith("io.netty.handler.codec.DecoderException")
    assert warn.continuation[-1] == "\t... 8 more"
    assert len(warn.continuation) == 6
    assert warn.text.splitlines()[0] == warn.message
    fatal = entries[-2]
    assert fatal.level == "FATAL"
    assert fatal.continuation[0] == "org.jruby.exceptions.SystemExit: (SystemExit) exit"
    assert entries[-1].continuation == ()


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("received: 69", "received: <n>"),
        ("{:port=>9600, :ssl_enabled=>false}", "{:port=><n>, :ssl_enabled=>false}"),
        ('{:uuid=>"3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60"}', '{:uuid=>"<uuid>"}'),
        ("#<Thread:0x5b2f1c3e run>", "#<Thread:<hex> run>"),
        ("jruby 9.4.9.0 (3.1.4) 547c6b150e", "jruby <n> (<n>) <hex>"),
        ("remote: 10.0.9.4:34156", "remote: <n>:<n>"),
        ("log4j2.properties and x86_64", "log4j2.properties and x86_64"),
        ("deadbeef is a word", "deadbeef is a word"),
        ("", ""),
    ],
)
def test_should_normalize_variable_parts_of_messages(message: str, expected: str) -> None:
    assert normalize_message(message) == expected


def test_should_cut_very_long_normalized_messages() -> None:
    assert len(normalize_message("word " * 10_000)) == logs.MAX_PATTERN_CHARS


def test_should_count_levels_and_lines_of_the_sample() -> None:
    summary = summarize(SAMPLE_LINES)
    assert summary.counts == {
        "TRACE": 1, "DEBUG": 1, "INFO": 11, "WARN": 2, "ERROR": 3, "FATAL": 2,
    }  # fmt: skip
    assert summary.total_lines == len(SAMPLE_LINES)
    assert summary.entries == 20
    assert summary.continuation_lines == len(SAMPLE_CONTINUATIONS) == 9
    assert summary.errors == 5
    assert (summary.first_timestamp, summary.last_timestamp) == (
        "2024-05-02T08:00:01,101",
        "2024-05-02T08:05:00,000",
    )


def test_should_group_repeated_messages_in_top_messages() -> None:
    summary = summarize(SAMPLE_LINES, top=2)
    assert len(summary.top_messages) == 2
    first, second = summary.top_messages
    assert (first.level, first.logger, first.count) == (
        "INFO", "org.logstash.beats.BeatsHandler", 2
    )  # fmt: skip
    assert "received: <n>" in first.pattern
    assert first.example.endswith("received: 84")
    assert first.last_timestamp == "2024-05-02T08:02:13,370"
    assert (second.level, second.count) == ("ERROR", 2)
    assert "http://es-<n>:<n>/" in second.pattern


def test_should_keep_the_last_errors_with_their_stack_traces() -> None:
    summary = summarize(SAMPLE_LINES, last_errors=2)
    assert [e.level for e in summary.last_errors] == ["FATAL", "FATAL"]
    last = summary.last_errors[-1]
    assert last.logger == "org.logstash.Logstash"
    assert last.message == "Logstash stopped processing because of an error: (SystemExit) exit"
    assert last.text.splitlines() == [
        "Logstash stopped processing because of an error: (SystemExit) exit",
        "org.jruby.exceptions.SystemExit: (SystemExit) exit",
        "\tat org.jruby.RubyKernel.exit(org/jruby/RubyKernel.java:924) ~[jruby.jar:?]",
        "\tat usr.share.logstash.lib.bootstrap.environment.<main>"
        "(/usr/share/logstash/lib/bootstrap/environment.rb:90) ~[?:?]",
    ]
    assert len(summarize(SAMPLE_LINES).last_errors) == 5
    assert summarize(SAMPLE_LINES, last_errors=0).last_errors == ()


@pytest.mark.parametrize(
    ("lines", "entries", "continuations", "first"),
    [
        ([], 0, 0, None),
        (["\tat a.B(C.java:1)", "\t... 3 more"], 0, 2, None),
        (["\t... 3 more", f"{H}[INFO ][a] x"], 1, 1, "2024-05-02T08:00:05,230"),
    ],
)
def test_should_summarize_edge_cases(
    lines: list[str], entries: int, continuations: int, first: str | None
) -> None:
    summary = summarize(lines, top=0)
    assert (summary.entries, summary.continuation_lines) == (entries, continuations)
    assert summary.first_timestamp == summary.last_timestamp == first
    assert summary.top_messages == ()
    assert sum(summary.counts.values()) == entries


def test_should_reject_negative_summary_limits() -> None:
    with pytest.raises(ValueError, match="must be"):
        summarize([], top=-1)


@pytest.mark.skipif(not REAL_FIXTURES.is_dir(), reason="real Logstash logs not available")
@pytest.mark.parametrize(
    "path",
    sorted(REAL_FIXTURES.glob("*.log")) if REAL_FIXTURES.is_dir() else [],
    ids=lambda p: p.name,
)
def test_should_handle_real_logstash_logs(path: Path) -> None:
    lines = tail_lines(path, 100_000, chunk_size=97)
    assert lines == reference_tail(path, 100_000)
    for line in lines:
        if line.startswith("[20"):
            assert parse_line(line) is not None, line
    summary = summarize(lines)
    assert summary.entries + summary.continuation_lines == len(lines)
    assert summary.entries > 0


# --------------------------------------------------------------------------------------
# LogFollower
# --------------------------------------------------------------------------------------


def append(path: Path, data: str | bytes) -> None:
    with path.open("ab") as f:
        f.write(data.encode() if isinstance(data, str) else data)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "logstash-plain.log"


@pytest.fixture
def follow(log_path: Path) -> Iterator[Callable[..., LogFollower]]:
    made: list[LogFollower] = []

    def make(**kwargs: int) -> LogFollower:
        follower = LogFollower(log_path, poll_interval=0.01, **kwargs)
        made.append(follower)
        return follower

    yield make
    for follower in made:
        follower.close()


def test_should_start_at_the_end_and_return_appended_lines(
    log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    write(log_path, "old 1\nold 2\n")
    follower = follow()
    assert follower.read_new() == []
    append(log_path, "new 1\nnew 2\r\n")
    assert follower.read_new() == ["new 1", "new 2"]
    assert follower.read_new() == []
    append(log_path, "new 3\n")
    assert follower.read_new() == ["new 3"]


@pytest.mark.parametrize(
    ("content", "last", "expected"),
    [
        ("a\nb\nc\n", 2, ["b", "c"]),
        ("a\nb\nc\n", 10, ["a", "b", "c"]),
        ("a\nb\nc\n", 0, []),
        ("a\nb\npart", 1, ["b"]),  # "last" counts complete lines
        ("", 3, []),
    ],
)
def test_should_start_with_the_last_lines_when_asked(
    log_path: Path,
    follow: Callable[..., LogFollower],
    content: str,
    last: int,
    expected: list[str],
) -> None:
    write(log_path, content)
    assert follow(last=last).read_new() == expected


def test_should_keep_a_partial_line_until_its_newline_arrives(
    log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    write(log_path, "done\nstill wri")  # incomplete at start: re-read whole later
    follower = follow()
    assert follower.read_new() == []
    append(log_path, "ting\nnext ")
    assert follower.read_new() == ["still writing"]
    append(log_path, "half")
    assert follower.read_new() == []
    append(log_path, "\r")
    assert follower.read_new() == []
    append(log_path, "\n")
    assert follower.read_new() == ["next half"]


def test_should_follow_a_rename_rotation_and_drain_the_old_file(
    tmp_path: Path, log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    write(log_path, "before\n")
    follower = follow()
    append(log_path, "a\n")
    assert follower.read_new() == ["a"]
    rotated = tmp_path / "logstash-plain-2024-05-02-1.log"
    log_path.rename(rotated)
    append(rotated, "late write to old\nunfinished")  # log4j2 flushing after the rename
    assert follower.read_new() == ["late write to old"]  # path missing: keep waiting
    assert follower.read_new() == []
    write(log_path, "first of new\n")
    assert follower.read_new() == ["unfinished", "first of new"]
    append(log_path, "second of new\n")
    append(rotated, "ignored: old file is done\n")
    assert follower.read_new() == ["second of new"]


def test_should_follow_a_rotation_that_happened_between_two_polls(
    tmp_path: Path, log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    write(log_path, "")
    follower = follow()
    append(log_path, "one\n")
    log_path.rename(tmp_path / "logstash-plain-2024-05-02-1.log")
    write(log_path, "two\nthree\n")
    assert follower.read_new() == ["one", "two", "three"]


@pytest.mark.parametrize(
    ("after_truncate", "expected"),
    [
        ("x\n", ["x"]),  # shorter than what we had read
        ("".join(f"regrown {i}\n" for i in range(50)), [f"regrown {i}" for i in range(50)]),
    ],
    ids=["shrank", "regrew past the old offset"],
)
def test_should_restart_from_the_top_after_copytruncate(
    log_path: Path, follow: Callable[..., LogFollower], after_truncate: str, expected: list[str]
) -> None:
    write(log_path, "")
    follower = follow()
    append(log_path, "one\ntwo\npartial")
    assert follower.read_new() == ["one", "two"]
    with log_path.open("r+b") as f:  # copytruncate keeps the inode
        f.truncate(0)
    append(log_path, after_truncate)
    assert follower.read_new() == ["partial", *expected]


def test_should_wait_for_a_missing_file_and_read_it_from_the_start(
    log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    follower = follow(last=5)
    assert follower.read_new() == []
    assert follower.read_new() == []
    write(log_path, "born\n")
    assert follower.read_new() == ["born"]
    log_path.unlink()
    assert follower.read_new() == []
    write(log_path, "reborn\n")
    assert follower.read_new() == ["reborn"]


def test_should_spread_a_large_burst_over_several_calls(
    log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    write(log_path, "")
    follower = follow(max_read=1000)
    expected = [f"line {i:05d} " + "x" * 50 for i in range(500)]
    append(log_path, "".join(line + "\n" for line in expected))
    got: list[str] = []
    calls = 0
    while len(got) < len(expected):
        batch = follower.read_new()
        assert batch, "stalled"
        got += batch
        calls += 1
    assert got == expected
    assert calls > 10


def test_should_cut_an_endless_line_at_max_line_bytes(
    log_path: Path, follow: Callable[..., LogFollower]
) -> None:
    write(log_path, "")
    follower = follow(max_line_bytes=100)
    append(log_path, "y" * 250 + "\n")
    assert follower.read_new() == ["y" * 250]  # read at once: still one line
    follower2 = follow(max_read=80, max_line_bytes=100)
    append(log_path, "z" * 250 + "\n")
    pieces = follower2.read_new() + follower2.read_new() + follower2.read_new()
    pieces += follower2.read_new()
    assert "".join(pieces) == "z" * 250
    assert all(len(p) <= 160 for p in pieces)


def test_should_release_the_descriptor_on_close(log_path: Path) -> None:
    write(log_path, "a\n")
    with LogFollower(log_path, last=1) as follower:
        assert follower.read_new() == ["a"]
    assert follower._fd is None


@pytest.mark.parametrize(
    "kwargs",
    [{"poll_interval": 0}, {"last": -1}, {"max_read": 0}, {"max_line_bytes": 0}],
)
def test_should_reject_invalid_follower_arguments(log_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        LogFollower(log_path, **kwargs)
