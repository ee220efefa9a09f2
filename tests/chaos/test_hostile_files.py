"""Hostile files: the log path a FIFO, a directory or a device; rotated or deleted mid-read;
the history file's disk full (a real tmpfs of a few KB)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chaos.hostile import HostileLogstash
from tests.chaos.support import SidecarProcess, sidecar_process, timed_get
from tests.support.servers import wait_for

pytestmark = pytest.mark.slow
LINE = b"[2026-12-02T10:00:00,000][INFO ][logstash.outputs.http    ][main] " + b"r" * 200 + b"\n"


@pytest.fixture(scope="module")
def logstash() -> Iterator[HostileLogstash]:
    with HostileLogstash() as server:
        yield server


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_should_refuse_a_log_path_that_is_not_a_regular_file(
    tmp_path: Path, logstash: HostileLogstash, kind: str
) -> None:
    path = tmp_path / "logstash-plain.log"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path = Path("/dev/zero")
    history = tmp_path / "history.jsonl"
    with sidecar_process(
        tmp_path / "run", logstash.url, log_path=path, history_file=history
    ) as sidecar:
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda _: timed_get(f"{sidecar.url}/api/logs"), range(50)))
        assert all(status in (500, 429) for _, status in answers), answers
        assert max(elapsed for elapsed, _ in answers) < 2.0
        response = sidecar.get("/api/logs")
        assert response.status_code == 500
        message = response.json()["error"]
        assert str(path) in message
        expected = {"fifo": "a FIFO", "directory": "a directory", "device": "a character device"}
        assert expected[kind] in message and "not a regular file" in message
        bundle = sidecar.get("/api/support-bundle", timeout=20)
        assert bundle.status_code == 200 and len(bundle.content) > 1000
        # History keeps being written meanwhile.
        wait_for(lambda: history.exists() and history.read_text().count("\n") >= 2, 10)


def test_should_finish_a_download_when_the_log_is_rotated_or_deleted_mid_read(
    tmp_path: Path, logstash: HostileLogstash
) -> None:
    log = tmp_path / "logstash-plain.log"
    log.write_bytes(b"")
    with sidecar_process(tmp_path / "run", logstash.url, log_path=log) as sidecar:
        for action in ("rotate", "delete"):
            log.write_bytes(LINE * 60_000)  # 16 MB: many batches
            with httpx.stream(
                "GET", f"{sidecar.url}/api/logs?lines=50000&download=true", timeout=30
            ) as response:
                assert response.status_code == 200
                chunks = response.iter_bytes()
                received = len(next(chunks))
                if action == "rotate":
                    log.rename(tmp_path / "logstash-plain-1.log")
                    log.write_bytes(LINE)
                else:
                    log.unlink()
                received += sum(len(chunk) for chunk in chunks)
            assert received == 50_000 * len(LINE)  # the whole answer, from the file it opened
            if action == "rotate":
                lines = sidecar.get("/api/logs?lines=5").text.splitlines()
                assert len(lines) == 1  # the new file
        assert sidecar.get("/api/logs").status_code == 404


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs of 32 KB (root only), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32k,mode=0777", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _fill(path: Path) -> None:
    """Write until the filesystem is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"f" * 512)
    finally:
        os.close(fd)


def _file_sink(sidecar: SidecarProcess) -> dict[str, object]:
    sink: dict[str, object] = sidecar.get("/api/stats").json()["sinks"]["file"]
    return sink


def test_should_survive_a_full_disk_under_the_history_file(
    small_disk: Path, tmp_path: Path, logstash: HostileLogstash
) -> None:
    history = small_disk / "history.jsonl"
    filler = small_disk / "filler"
    with sidecar_process(
        tmp_path / "run", logstash.url, history_file=history, poll_interval=0.2
    ) as sidecar:
        wait_for(lambda: history.exists() and history.stat().st_size > 0, 10)
        _fill(filler)
        wait_for(lambda: "No space left" in str(_file_sink(sidecar)["last_error"]), 15)
        assert "No space left" in sidecar.output()  # a warning in the log, once
        assert sidecar.output().count("No space left") < 5
        size_full = history.stat().st_size
        time.sleep(1.0)
        assert history.stat().st_size == size_full  # nothing torn appended meanwhile
        filler.unlink()
        wait_for(lambda: _file_sink(sidecar)["consecutive_failures"] == 0, 15)
        wait_for(lambda: _file_sink(sidecar)["pending_lines"] == 0, 15)
    lines = history.read_bytes().splitlines()
    assert lines
    for raw in lines:
        json.loads(raw)  # every line whole: no torn line in the middle


def test_health_stays_fast_when_the_log_volume_misbehaves(
    tmp_path: Path, logstash: HostileLogstash
) -> None:
    fifo = tmp_path / "logstash-plain.log"
    os.mkfifo(fifo)
    with sidecar_process(tmp_path / "run", logstash.url, log_path=fifo) as sidecar:
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            pool.map(lambda _: timed_get(f"{sidecar.url}/api/support-bundle", 20), range(20))
            times = [timed_get(f"{sidecar.url}/api/health")[0] for _ in range(30)]
        assert max(times) < 1.0
