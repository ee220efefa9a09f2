"""The metrics-sink settings: defaults, parsing, and refusals that name the setting."""

from __future__ import annotations

import pytest

from status_sidecar.settings import Settings, SettingsError, from_environment
from status_sidecar.sinks.publisher import instance_label


def test_sinks_should_default_to_the_history_file_only() -> None:
    settings = from_environment({})
    assert settings.history_file == "/var/lib/stashkit/history.jsonl"
    assert settings.pushgateway_url == settings.remote_write_url == ""
    assert (settings.push_job, settings.publish_interval) == ("stashkit", 60.0)
    assert settings.remote_write_insecure_skip_verify is False


def test_should_read_every_sink_setting_from_the_environment() -> None:
    settings = from_environment(
        {
            "HISTORY_FILE": "",
            "PUSHGATEWAY_URL": "http://pushgateway:9091/",
            "PUSH_JOB": "logs",
            "INSTANCE": "edge-7",
            "REMOTE_WRITE_URL": "https://prom.example/api/v1/write",
            "REMOTE_WRITE_USER": "writer",
            "REMOTE_WRITE_PASSWORD_FILE": "/run/secrets/rw",
            "REMOTE_WRITE_CA_FILE": "/etc/stashkit/ca.pem",
            "REMOTE_WRITE_INSECURE_SKIP_VERIFY": "TRUE",
            "REMOTE_WRITE_SERVER_NAME": "prom.internal",
            "PUBLISH_INTERVAL": "15",
        }
    )
    assert settings.history_file == ""
    assert settings.pushgateway_url == "http://pushgateway:9091"
    assert (settings.push_job, settings.instance) == ("logs", "edge-7")
    assert settings.remote_write_url == "https://prom.example/api/v1/write"
    assert settings.remote_write_password_file == "/run/secrets/rw"
    assert settings.remote_write_insecure_skip_verify is True
    assert settings.remote_write_server_name == "prom.internal"
    assert settings.publish_interval == 15.0
    assert instance_label(settings) == "edge-7"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"REMOTE_WRITE_URL": "prom:9090/api/v1/write"}, "REMOTE_WRITE_URL"),
        ({"REMOTE_WRITE_URL": "https://u:secret@prom/api/v1/write"}, "REMOTE_WRITE_URL"),
        ({"PUSHGATEWAY_URL": "ftp://pgw"}, "PUSHGATEWAY_URL"),
        ({"REMOTE_WRITE_INSECURE_SKIP_VERIFY": "maybe"}, "REMOTE_WRITE_INSECURE_SKIP_VERIFY"),
        ({"PUBLISH_INTERVAL": "0"}, "PUBLISH_INTERVAL"),
        ({"INSTANCE": "a\nb"}, "INSTANCE"),
    ],
)
def test_should_refuse_bad_sink_settings_naming_them(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named) as info:
        from_environment(env)
    assert "\n" not in str(info.value)
    assert "secret" not in str(info.value)  # a password in a URL is never echoed


def test_instance_should_default_to_the_host_name() -> None:
    assert instance_label(Settings(instance="")) != ""


def test_a_broken_url_with_credentials_should_not_echo_them() -> None:
    with pytest.raises(SettingsError, match="REMOTE_WRITE_URL") as info:
        from_environment({"REMOTE_WRITE_URL": "https://u:hunter2@prom:99999/api/v1/write"})
    assert "hunter2" not in str(info.value)
