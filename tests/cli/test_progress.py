"""Progress lines: quiet steps show only past the threshold, live steps are framed."""

from __future__ import annotations

import io
import time

import pytest

from stashkit.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_should_stay_silent_for_a_quick_quiet_step() -> None:
    stream = io.StringIO()
    with Progress(stream, threshold=0.5).step("log in"):
        pass
    assert stream.getvalue() == ""


def test_should_name_a_slow_quiet_step_and_its_duration() -> None:
    stream = io.StringIO()
    with Progress(stream, threshold=0.05).step("ECR: prepare r") as step:
        time.sleep(0.2)
        step.outcome = "ready"
    lines = stream.getvalue().splitlines()
    assert lines[0] == "stashkit: ECR: prepare r ..."
    assert lines[1].startswith("stashkit: ECR: prepare r: ready in 0.")


def test_should_count_seconds_in_place_on_a_terminal() -> None:
    stream = _Tty()
    with Progress(stream, threshold=0.05).step("docker login r"):
        time.sleep(0.2)
    text = stream.getvalue()
    assert text.startswith("\r\x1b[Kstashkit: docker login r ... 0 s")
    assert text.endswith("\r\x1b[Kstashkit: docker login r: done in 0.2 s\n")


def test_should_frame_a_live_step_and_mark_failures() -> None:
    stream = io.StringIO()
    progress = Progress(stream, threshold=10)
    with pytest.raises(RuntimeError), progress.step("terraform plan", live=True):
        raise RuntimeError("boom")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "stashkit: terraform plan ..."
    assert lines[1].startswith("stashkit: terraform plan: failed in ")


def test_status_line_should_be_rewritten_in_place_and_cleared_on_a_terminal() -> None:
    stream = _Tty()
    progress = Progress(stream, prefix="")
    progress.update("verify: 0/2 checks pass")
    progress.update("verify: 0/2 checks pass")  # the same message is not written again
    progress.update("verify: 1/2 checks pass")
    progress.done()
    assert stream.getvalue() == (
        "\r\x1b[Kverify: 0/2 checks pass\r\x1b[Kverify: 1/2 checks pass\r\x1b[K"
    )


def test_status_line_should_print_at_most_one_line_per_interval_off_a_terminal() -> None:
    stream = io.StringIO()
    now = [0.0]
    progress = Progress(stream, prefix="", min_interval=5.0, clock=lambda: now[0])
    for second, message in enumerate(["a", "b", "c", "d", "e", "f", "g"]):
        now[0] = float(second)
        progress.update(message)
    progress.done()
    assert stream.getvalue() == "a\nf\n"


def test_a_disabled_status_line_should_write_nothing() -> None:
    stream = _Tty()
    progress = Progress(stream, enabled=False)
    progress.update("fleet: asking 3 sidecar(s)")
    progress.done()
    assert stream.getvalue() == ""
