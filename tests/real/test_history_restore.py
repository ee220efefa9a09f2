"""History survives the sidecar's own death: SIGKILL the real process mid-run, restart it,
and /api/history?range=24h still has the earlier points; a torn last line is skipped."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.fake_logstash import FakeLogstash, FakeLogstashServer
from tests.support.servers import Process, free_port, run_process, wait_until

pytestmark = [pytest.mark.real, pytest.mark.timeout(90)]


def serve(logstash: str, port: int, history: Path, log: Path) -> Any:
    args = [
        sys.executable,
        "-m",
        "status_sidecar",
        "serve",
        "--logstash-url",
        logstash,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--poll-interval",
        "0.2",
        "--history-file",
        str(history),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HISTORY_", "PUSH"))}
    return run_process(args, log, env=env)


def history_points(url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/history", params={"range": "24h"}, timeout=2)
    response.raise_for_status()
    points: list[dict[str, Any]] = response.json()["points"]
    return points


def alive(process: Process) -> None:
    assert process.popen.poll() is None, process.output()


def test_history_should_survive_sigkill_and_a_torn_last_line(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    fake = FakeLogstash(event_rate=50.0)
    with FakeLogstashServer(fake) as logstash:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with serve(logstash.url, port, history, tmp_path / "first.log") as first:
            wait_until(lambda: len(history_points(url)) >= 8, 20, "points before the kill")
            fake.restart()  # a restart event, to be restored too
            wait_until(lambda: any(p["restart"] for p in history_points(url)), 10, "restart")
            wait_until(lambda: history.exists() and history.stat().st_size > 0, 10, "file")
            wait_until(lambda: len(history.read_text().splitlines()) >= 8, 10, "lines on disk")
            before = history_points(url)
            first.popen.send_signal(signal.SIGKILL)
            first.popen.wait(10)
            assert first.popen.returncode == -signal.SIGKILL

        on_disk = history.read_text().splitlines()
        # a write cut short, as if the kill (or a power loss) landed mid-line
        with history.open("a") as fh:
            fh.write(on_disk[-1][: len(on_disk[-1]) // 2])

        with serve(logstash.url, port, history, tmp_path / "second.log") as second:
            wait_until(lambda: history_points(url), 20, "the restarted sidecar answers")
            alive(second)
            after = history_points(url)
            stats = httpx.get(f"{url}/api/stats", timeout=2).json()
            file_sink = stats["sinks"]["file"]
            restored = file_sink["restored_points"]
            # every intact line is back; the torn one is skipped, never fatal
            assert restored == len(on_disk) >= 8
            assert file_sink["skipped_lines"] == 1 and file_sink["failures"] == 0
            # the earlier points, as the killed sidecar served them, in order
            same = min(restored, len(before))
            assert after[:same] == before[:same]
            assert any(p["restart"] for p in after[:restored])
            assert stats["restarts"] >= 1
            # new points append on a clean line after the cut-off torn tail
            wait_until(lambda: len(history_points(url)) >= len(after) + 3, 10, "new points")
            wait_until(
                lambda: len(history.read_text().splitlines()) >= len(on_disk) + 2, 10, "appends"
            )
            alive(second)
        for line in history.read_text().splitlines():
            json.loads(line)  # no glued or torn line left
