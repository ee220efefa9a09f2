"""Flags mode ignores the environment (by design); `status-sidecar serve` with flags says, in one
warning line, which settings variables were set and are therefore ignored."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from status_sidecar.settings import OPTIONS, add_arguments, from_namespace


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_should_name_every_set_settings_variable_once_when_flags_are_given() -> None:
    lines: list[str] = []
    environ = {"LOGSTASH_API_URL": "http://ls:9600", "PORT": "4000", "UNRELATED": "x"}
    settings = from_namespace(_args("--port", "3100"), environ, lines.append)
    assert settings.port == 3100
    assert settings.logstash_url == "http://localhost:9600"  # the environment really is ignored
    assert lines == [
        "status-sidecar: warning: flags given, so these environment variables are ignored: "
        "LOGSTASH_API_URL, PORT"
    ]


def test_should_not_warn_without_flags_or_without_settings_variables() -> None:
    lines: list[str] = []
    assert from_namespace(_args(), {"PORT": "4000"}, lines.append).port == 4000
    assert from_namespace(_args("--port", "3100"), {"UNRELATED": "x"}, lines.append).port == 3100
    assert lines == []


def test_serve_should_print_the_warning_on_stderr() -> None:
    """`serve --help` exits before settings; `report` with a bad URL reads settings then fails
    to reach Logstash: enough to see the warning line from a real process."""
    names = {o.env for o in OPTIONS.values()}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(LOG_PROFILE="security", POLL_INTERVAL="30")
    result = subprocess.run(
        [sys.executable, "-m", "status_sidecar", "report", "--logstash-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "status-sidecar: warning: flags given, so these environment variables are ignored: "
        "LOG_PROFILE, POLL_INTERVAL"
    ]
