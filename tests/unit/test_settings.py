"""Settings: flags, else environment, else defaults; a bad value is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from status_sidecar.cli import main
from status_sidecar.settings import OPTIONS, Settings, SettingsError, from_environment


def test_should_default_like_the_readme_says() -> None:
    settings = from_environment({})
    assert settings == Settings()
    assert settings.logstash_url == "http://localhost:9600"
    assert settings.log_path == Path("/var/log/logstash/logstash-plain.log")
    assert (settings.port, settings.poll_interval, settings.startup_grace) == (3000, 10.0, 120.0)


def test_should_read_the_environment() -> None:
    settings = from_environment(
        {
            "LOGSTASH_API_URL": "http://logstash:9600/",
            "LOG_PROFILE": "security",
            "PORT": "8080",
            "POLL_INTERVAL": "2.5",
            "HEALTH_STUCK_AFTER": "60",
            "HEALTH_HEAP_PERCENT": "80",
        }
    )
    assert settings.logstash_url == "http://logstash:9600"
    assert settings.log_profile == "security"
    assert (settings.port, settings.poll_interval) == (8080, 2.5)
    assert (settings.stuck_after, settings.heap_percent) == (60.0, 80.0)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"POLL_INTERVAL": "-1"}, "POLL_INTERVAL"),
        ({"POLL_INTERVAL": "soon"}, "POLL_INTERVAL"),
        ({"LOGSTASH_API_URL": "logstash:9600"}, "LOGSTASH_API_URL"),
        ({"LOGSTASH_API_URL": "http://logstash:99999"}, "LOGSTASH_API_URL"),
        ({"LOG_PROFILE": "everything"}, "LOG_PROFILE"),
        ({"PORT": "0"}, "PORT"),
        ({"PORT": "30.5"}, "PORT"),
        ({"HEALTH_HEAP_PERCENT": "120"}, "HEALTH_HEAP_PERCENT"),
        ({"HEALTH_STARTUP_GRACE": "nan"}, "HEALTH_STARTUP_GRACE"),
    ],
)
def test_should_reject_bad_values_naming_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named) as info:
        from_environment(env)
    assert "\n" not in str(info.value)


def test_flags_should_win_and_ignore_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    # A bad environment value is ignored once any flag is given.
    code = main(["serve", "--poll-interval", "-3"], {"LOG_PROFILE": "bogus"})
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("status-sidecar: POLL_INTERVAL (--poll-interval)")
    assert "LOG_PROFILE" not in err
    assert len(err.splitlines()) == 1


def test_should_exit_2_with_one_line_from_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "status_sidecar", "serve", "--log-profile", "everything"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "status-sidecar: LOG_PROFILE (--log-profile): 'everything' is not one of "
        "all, security, networking"
    ]
    assert "Traceback" not in result.stderr


def test_every_option_should_have_an_env_var_and_a_flag() -> None:
    assert {o.env for o in OPTIONS.values()} >= {
        "LOGSTASH_API_URL",
        "LOGSTASH_LOG_PATH",
        "LOG_PROFILE",
        "PORT",
        "HOST",
        "POLL_INTERVAL",
        "HEALTH_STARTUP_GRACE",
        "HEALTH_UNREACHABLE_AFTER",
        "HEALTH_STUCK_AFTER",
        "HEALTH_HEAP_PERCENT",
    }
    assert all(o.flag.startswith("--") for o in OPTIONS.values())
