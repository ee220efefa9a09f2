"""The rendered container scripts: shellcheck, and runs against a fake docker/aws on PATH.

The fake (tests/fakes/fake_docker.py) records every call's argv as JSON lines. Assertions are on
what docker would have been asked to do: the network, both containers, the mounts, the ports,
the secrets (only in the 0600 env file, never in argv) and hostile values arriving verbatim.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stashkit.config import parse_config
from stashkit.render import secret_names
from tests.fakes import fake_docker

from .support import CATALOG, OUTPUT_TYPES, RENDERER, SIDECAR_IMAGE, config_data, make_config

SSM_PREFIX = "/stashkit-test/logstash"
TOKEN_PARAMETER = "/stashkit-test/sidecar/token"
SIDECAR_TOKEN = "T0kenForTheSidecar4c1e9b7aZ"  # a fake token: never in argv, only in its file
SHELLCHECK = shutil.which("shellcheck")


@dataclass
class Run:
    returncode: int
    stderr: str
    calls: list[fake_docker.Call]
    env_file: Path
    tls_dir: Path
    sidecar_dir: Path

    def docker(self, *prefix: str) -> list[list[str]]:
        return [
            call["argv"]
            for call in self.calls
            if call["tool"] == "docker" and call["argv"][: len(prefix)] == list(prefix)
        ]

    def aws(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls if call["tool"] == "aws"]

    def container(self, name: str) -> list[str] | None:
        """The argv of ``docker run`` for the container called ``name`` (None if never run)."""
        runs = [a for a in self.docker("run") if _option(a, "--name") == name]
        assert len(runs) <= 1, runs
        return runs[0] if runs else None


def _option(argv: list[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _options(argv: list[str], *names: str) -> list[str]:
    values = []
    for index, arg in enumerate(argv[:-1]):
        if arg in names:
            values.append(argv[index + 1])
    return values


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    return fake_docker.install(tmp_path / "bin")


def run_script(
    script: str,
    tmp_path: Path,
    fake_bin: Path,
    *,
    ssm: Mapping[str, str] | None = None,
    ssm_prefix: str | None = SSM_PREFIX,
    sidecar_token: str | None = SIDECAR_TOKEN,
    token_parameter: str | None = TOKEN_PARAMETER,
    extra_env: Mapping[str, str] | None = None,
) -> Run:
    work = tmp_path / "run"
    work.mkdir(exist_ok=True)
    path = work / "run-containers.sh"
    path.write_text(script, encoding="utf-8")
    values = work / "ssm.json"
    parameters = {f"{ssm_prefix}/{k}": v for k, v in (ssm or {}).items()}
    if token_parameter is not None and sidecar_token is not None:
        parameters[token_parameter] = sidecar_token
    values.write_text(json.dumps(parameters), encoding="utf-8")
    log = work / "calls.jsonl"
    env = {
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "HOME": str(work),
        "FAKE_CLI_LOG": str(log),
        "FAKE_SSM_VALUES": str(values),
        "STASHKIT_PIPELINE_FILE": str(work / "pipeline.conf"),
        "STASHKIT_ENV_FILE": str(work / "logstash-secrets.env"),
        "STASHKIT_TLS_DIR": str(work / "tls"),
        "STASHKIT_SIDECAR_DIR": str(work / "sidecar"),
        **(extra_env or {}),
    }
    if ssm_prefix is not None:
        env["STASHKIT_SSM_PREFIX"] = ssm_prefix
    if token_parameter is not None:
        env["STASHKIT_SIDECAR_TOKEN_PARAMETER"] = token_parameter
    result = subprocess.run(
        ["bash", str(path)], env=env, cwd=work, capture_output=True, text=True, timeout=60
    )
    return Run(
        result.returncode,
        result.stderr,
        fake_docker.read_log(log),
        work / "logstash-secrets.env",
        work / "tls",
        work / "sidecar",
    )


def fake_secrets(output_type: str) -> dict[str, str]:
    return {
        name: f"s3cret-{name.lower()}-value"
        for name in secret_names(CATALOG.output_types[output_type])
    }


def render_script(data: dict[str, Any]) -> str:
    return RENDERER.container_script(parse_config(data, CATALOG))


# --------------------------------------------------------------------------------------------
# The normal run, every output type, sidecar on and off
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sidecar", [True, False], ids=["sidecar", "no-sidecar"])
@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_should_run_logstash_and_the_sidecar_on_one_network(
    output_type: str, sidecar: bool, tmp_path: Path, fake_bin: Path
) -> None:
    config = make_config(output_type, sidecar=sidecar)
    secrets = fake_secrets(output_type)
    run = run_script(RENDERER.container_script(config), tmp_path, fake_bin, ssm=secrets)
    assert run.returncode == 0, run.stderr

    assert run.docker("network", "create") == [["network", "create", "stashkit"]]
    assert ["rm", "-f", "logstash", "status-sidecar"] in run.docker("rm")
    # containers are removed before they are started again
    names = [argv[0] for argv in run.docker()]
    assert names.index("rm") < names.index("run")

    logstash = run.container("logstash")
    assert logstash is not None
    assert _option(logstash, "--network") == "stashkit"
    assert "--restart=always" in logstash
    assert logstash[-3:] == [config.logstash_image, "--path.logs", "/var/log/logstash"]
    # the image logs to the console only unless LOG_STYLE=file: the sidecar reads the file
    assert "LOG_STYLE=file" in _options(logstash, "-e", "--env")
    volumes = _options(logstash, "-v", "--volume")
    assert "/var/log/logstash:/var/log/logstash" in volumes
    assert f"{tmp_path}/run/pipeline.conf:/usr/share/logstash/pipeline/logstash.conf:ro" in volumes
    published = _options(logstash, "-p", "--publish")
    assert sorted(published) == ["5000:5000/tcp", "5000:5000/udp"]
    env = dict(e.split("=", 1) for e in _options(logstash, "-e", "--env"))
    assert env["LOG_PROFILE"] == "all"
    for var in CATALOG.output_types[output_type].env:
        assert (var.name in env) is (not var.secret)

    sidecar_run = run.container("status-sidecar")
    if not sidecar:
        assert sidecar_run is None
        assert len(run.docker("run")) == 1
    else:
        assert sidecar_run is not None
        assert sidecar_run[-1] == SIDECAR_IMAGE
        assert _option(sidecar_run, "--network") == "stashkit"
        assert "--restart=always" in sidecar_run
        assert _option(sidecar_run, "--user") == "1001"
        assert _options(sidecar_run, "-v", "--volume") == [
            "/var/log/logstash:/var/log/logstash:ro",
            f"{run.sidecar_dir}:/run/stashkit:ro",
        ]
        # the full API on 3000, the health-only listener on 3001 (what load balancers reach)
        assert _options(sidecar_run, "-p", "--publish") == ["3000:3000", "3001:3001"]
        sidecar_env = dict(e.split("=", 1) for e in _options(sidecar_run, "-e", "--env"))
        assert sidecar_env["LOGSTASH_API_URL"] == "http://logstash:9600"
        assert sidecar_env["LOG_PROFILE"] == "all"
        assert sidecar_env["DESTINATION_LABEL"]
        assert sidecar_env["HEALTH_PORT"] == "3001"
        assert sidecar_env["AUTH_TOKEN_FILE"] == "/run/stashkit/token"
        assert ("SECRETS_ENV_FILE" in sidecar_env) == bool(secrets)
        assert "--env-file" not in sidecar_run
        _assert_sidecar_files(run, secrets)

    for argv in run.docker("run"):
        for port in _options(argv, "-p", "--publish"):
            assert "9600" not in port

    # secrets: fetched from SSM, only in the 0600 env file, never on a command line
    if secrets:
        assert _option(logstash, "--env-file") == str(run.env_file)
        mode = stat.S_IMODE(run.env_file.stat().st_mode)
        assert mode == 0o600
        lines = run.env_file.read_text(encoding="utf-8").splitlines()
        assert sorted(lines) == sorted(f"{k}={v}" for k, v in secrets.items())
        assert sorted(_option(a, "--name") or "" for a in run.aws()) == sorted(
            [f"{SSM_PREFIX}/{k}" for k in secrets] + ([TOKEN_PARAMETER] if sidecar else [])
        )
        for argv in run.aws():
            assert argv[:2] == ["ssm", "get-parameter"]
            assert argv[-5:] == [
                "--with-decryption",
                "--query",
                "Parameter.Value",
                "--output",
                "text",
            ]
    else:
        assert "--env-file" not in logstash
        assert not run.env_file.exists()
        assert [_option(a, "--name") for a in run.aws()] == ([TOKEN_PARAMETER] if sidecar else [])
    everything = json.dumps(run.calls) + run.stderr
    for value in [*secrets.values(), SIDECAR_TOKEN]:
        assert value not in everything


def _assert_sidecar_files(run: Run, secrets: Mapping[str, str]) -> None:
    """The sidecar's directory: 0700 and its files 0400, all owned by uid 1001 (never readable
    by other users); the token, and the Logstash env file's content for redaction."""
    info = run.sidecar_dir.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, 1001)
    files = {p.name: p for p in run.sidecar_dir.iterdir()}
    assert set(files) == {"token"} | ({"secrets.env"} if secrets else set())
    for path in files.values():
        assert (stat.S_IMODE(path.stat().st_mode), path.stat().st_uid) == (0o400, 1001), path
    assert files["token"].read_text(encoding="utf-8") == SIDECAR_TOKEN + "\n"
    if secrets:
        assert files["secrets.env"].read_bytes() == run.env_file.read_bytes()


def test_should_fetch_no_secrets_without_an_ssm_prefix(tmp_path: Path, fake_bin: Path) -> None:
    script = RENDERER.container_script(make_config("splunk-hec"))
    run = run_script(script, tmp_path, fake_bin, ssm_prefix=None, token_parameter=None)
    assert run.returncode == 0
    assert run.aws() == []
    assert "STASHKIT_SSM_PREFIX is not set" in run.stderr
    logstash = run.container("logstash")
    assert logstash is not None and "--env-file" not in logstash


# --------------------------------------------------------------------------------------------
# The sidecar: its token, the secrets it redacts, the health-only port
# --------------------------------------------------------------------------------------------


def test_should_run_the_sidecar_without_a_token_when_none_is_configured(
    tmp_path: Path, fake_bin: Path
) -> None:
    script = RENDERER.container_script(make_config("splunk-hec"))
    secrets = fake_secrets("splunk-hec")
    run = run_script(script, tmp_path, fake_bin, ssm=secrets, token_parameter=None)
    assert run.returncode == 0, run.stderr
    assert "STASHKIT_SIDECAR_TOKEN_PARAMETER is not set" in run.stderr
    sidecar = run.container("status-sidecar")
    assert sidecar is not None
    env = dict(e.split("=", 1) for e in _options(sidecar, "-e", "--env"))
    assert "AUTH_TOKEN_FILE" not in env
    assert env["SECRETS_ENV_FILE"] == "/run/stashkit/secrets.env"
    assert sorted(p.name for p in run.sidecar_dir.iterdir()) == ["secrets.env"]


def test_should_drop_a_stale_token_when_none_is_configured_any_more(
    tmp_path: Path, fake_bin: Path
) -> None:
    script = RENDERER.container_script(make_config("webhook-test"))
    first = run_script(script, tmp_path, fake_bin, ssm=fake_secrets("webhook-test"))
    assert first.returncode == 0, first.stderr
    assert (first.sidecar_dir / "token").exists()
    again = run_script(
        script, tmp_path, fake_bin, ssm=fake_secrets("webhook-test"), token_parameter=None
    )
    assert again.returncode == 0, again.stderr
    assert not (again.sidecar_dir / "token").exists()


def test_should_publish_the_health_port_the_boot_script_names(
    tmp_path: Path, fake_bin: Path
) -> None:
    script = RENDERER.container_script(make_config("splunk-hec", sidecar_port=8080))
    run = run_script(
        script,
        tmp_path,
        fake_bin,
        ssm=fake_secrets("splunk-hec"),
        extra_env={"STASHKIT_SIDECAR_HEALTH_PORT": "13001"},
    )
    assert run.returncode == 0, run.stderr
    sidecar = run.container("status-sidecar")
    assert sidecar is not None
    assert _options(sidecar, "-p", "--publish") == ["8080:3000", "13001:3001"]
    assert "HEALTH_PORT=3001" in _options(sidecar, "-e", "--env")


@pytest.mark.parametrize("port", ["0", "65536", "3001x", "", "3001 -p 9600:9600", "$(id)"])
def test_should_refuse_a_health_port_that_is_no_port(
    port: str, tmp_path: Path, fake_bin: Path
) -> None:
    script = RENDERER.container_script(make_config("splunk-hec"))
    run = run_script(
        script,
        tmp_path,
        fake_bin,
        ssm=fake_secrets("splunk-hec"),
        extra_env={"STASHKIT_SIDECAR_HEALTH_PORT": port},
    )
    if port == "":  # empty: the default applies
        assert run.returncode == 0, run.stderr
        return
    assert run.returncode != 0
    assert "STASHKIT_SIDECAR_HEALTH_PORT must be a port number" in run.stderr
    assert run.docker("run") == []


def test_should_stop_when_the_token_cannot_be_fetched(tmp_path: Path, fake_bin: Path) -> None:
    script = RENDERER.container_script(make_config("splunk-hec"))
    run = run_script(script, tmp_path, fake_bin, ssm=fake_secrets("splunk-hec"), sidecar_token=None)
    assert run.returncode != 0
    assert "ParameterNotFound" in run.stderr
    assert run.docker("run") == []
    assert not (run.sidecar_dir / "token").exists()


@pytest.mark.parametrize("token", ["two words", "name:token", "tab\there"])
def test_should_refuse_a_token_the_sidecar_cannot_read(
    token: str, tmp_path: Path, fake_bin: Path
) -> None:
    script = RENDERER.container_script(make_config("splunk-hec"))
    run = run_script(
        script, tmp_path, fake_bin, ssm=fake_secrets("splunk-hec"), sidecar_token=token
    )
    assert run.returncode != 0
    assert "the sidecar token in /stashkit-test/sidecar/token is empty or holds" in run.stderr
    assert token not in run.stderr
    assert run.docker("run") == []


def test_should_be_idempotent_when_the_network_exists(tmp_path: Path, fake_bin: Path) -> None:
    script = RENDERER.container_script(make_config("webhook-test"))
    secrets = fake_secrets("webhook-test")
    first = run_script(script, tmp_path, fake_bin, ssm=secrets)
    again = run_script(
        script,
        tmp_path,
        fake_bin,
        ssm=secrets,
        extra_env={"FAKE_DOCKER_FAIL": "network:create rm:-f"},
    )
    assert first.returncode == again.returncode == 0, again.stderr
    assert len(again.docker("run")) == 4  # two runs, two containers each


def test_should_stop_when_a_secret_cannot_be_fetched(tmp_path: Path, fake_bin: Path) -> None:
    script = RENDERER.container_script(make_config("elasticsearch"))
    run = run_script(script, tmp_path, fake_bin, ssm={})
    assert run.returncode != 0
    assert "ParameterNotFound" in run.stderr
    assert run.docker("run") == []
    assert not run.env_file.exists()
    assert list(run.env_file.parent.glob("logstash-secrets.env.*")) == []


def test_should_refuse_a_secret_with_a_newline(tmp_path: Path, fake_bin: Path) -> None:
    script = RENDERER.container_script(make_config("elasticsearch"))
    run = run_script(script, tmp_path, fake_bin, ssm={"ES_PASSWORD": "line1\nline2"})
    assert run.returncode != 0
    assert "ES_PASSWORD contains a newline" in run.stderr
    assert "line1" not in run.stderr
    assert run.docker("run") == []
    assert not run.env_file.exists()


@pytest.mark.parametrize("client_auth", [False, True], ids=["tls", "mtls"])
def test_should_publish_and_mount_tls_when_enabled(
    client_auth: bool, tmp_path: Path, fake_bin: Path
) -> None:
    config = make_config("splunk-hec", tls=True, client_auth=client_auth)
    tls = {"SYSLOG_TLS_CERT": "CERT", "SYSLOG_TLS_KEY": PKCS8_KEY, "SYSLOG_TLS_CA": "CA"}
    run = run_script(
        RENDERER.container_script(config),
        tmp_path,
        fake_bin,
        ssm={**fake_secrets("splunk-hec"), **tls},
    )
    assert run.returncode == 0, run.stderr
    logstash = run.container("logstash")
    assert logstash is not None
    assert "6514:6514/tcp" in _options(logstash, "-p", "--publish")
    assert f"{run.tls_dir}:/usr/share/logstash/config/tls:ro" in _options(
        logstash, "-v", "--volume"
    )
    files = {p.name: p for p in run.tls_dir.iterdir()}
    expected = {"server.crt", "server.key"} | ({"ca.crt"} if client_auth else set())
    assert set(files) == expected
    assert files["server.key"].read_text() == PKCS8_KEY + "\n"
    for path in files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "KEY" not in json.dumps(run.docker())


PKCS8_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----"


@pytest.mark.parametrize(
    "key",
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nx", "KEY"],
    ids=["pkcs1", "encrypted", "garbage"],
)
def test_should_refuse_a_tls_key_logstash_cannot_read(
    key: str, tmp_path: Path, fake_bin: Path
) -> None:
    config = make_config("splunk-hec", tls=True)
    tls = {"SYSLOG_TLS_CERT": "CERT", "SYSLOG_TLS_KEY": key}
    run = run_script(
        RENDERER.container_script(config),
        tmp_path,
        fake_bin,
        ssm={**fake_secrets("splunk-hec"), **tls},
    )
    assert run.returncode != 0
    assert "SYSLOG_TLS_KEY is not an unencrypted PKCS#8 PEM key" in run.stderr
    assert "MIIE" not in run.stderr
    assert run.docker("run") == []


# --------------------------------------------------------------------------------------------
# Hostile values arrive verbatim and never execute
# --------------------------------------------------------------------------------------------


def hostile_values(canary: Path) -> list[str]:
    return [
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"x; touch {canary}; y",
        f"it's \"quoted\" and 'single' $(touch {canary})",
        f"two\nlines $(touch {canary})\n",
        f"  spaces  and\ttab ${{HOME}} $HOME \\ back\\\\slash && touch {canary} | cat",
        f"--name=evil -v /:/host {canary}",
    ]


def hostile_images(canary: Path) -> list[str]:
    """Image references cannot hold whitespace (the config refuses it), but anything else."""
    return [
        f"$(touch${{IFS}}{canary})",
        f"`touch${{IFS}}{canary}`",
        f"img;touch${{IFS}}{canary};'\"x",
    ]


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "CANARY"
    yield path
    assert not path.exists(), "a hostile value was executed"


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("output_type", ["splunk-hec", "azure-log-ingestion", "dynatrace"])
def test_should_pass_hostile_settings_verbatim(
    output_type: str, index: int, tmp_path: Path, fake_bin: Path, canary: Path
) -> None:
    value = hostile_values(canary)[index]
    image = hostile_images(canary)[index % 3]
    spec = CATALOG.output_types[output_type]
    data = config_data(output_type, sidecar_image=image, logstash_image=image + "-ls")
    # every non-secret setting, required or not, gets the hostile value
    data["destination"] = {
        v.name: value for v in spec.env if not v.secret and v.name != "LOG_PROFILE"
    }
    secrets = {name: value.replace("\n", " ") + f"-{name}" for name in secret_names(spec)}
    script = render_script(data)
    run = run_script(script, tmp_path, fake_bin, ssm=secrets)
    assert run.returncode == 0, run.stderr

    logstash = run.container("logstash")
    sidecar = run.container("status-sidecar")
    assert logstash is not None and sidecar is not None
    assert logstash[-3] == image + "-ls"
    assert sidecar[-1] == image
    env = _options(logstash, "-e", "--env")
    for name in data["destination"]:
        assert f"{name}={value}" in env
    expected_label = ", ".join(value for _ in spec.destination_env)
    assert f"DESTINATION_LABEL={expected_label}" in _options(sidecar, "-e", "--env")
    # the secrets went to the env file only, verbatim
    lines = run.env_file.read_text(encoding="utf-8").splitlines()
    assert sorted(lines) == sorted(f"{k}={v}" for k, v in secrets.items())
    everything = json.dumps(run.calls)
    for secret in [*secrets.values(), SIDECAR_TOKEN]:
        assert json.dumps(secret)[1:-1] not in everything
    assert (run.sidecar_dir / "secrets.env").read_bytes() == run.env_file.read_bytes()
    # nothing else was run: every docker call is one of the expected ones
    assert [argv[0] for argv in run.docker()] == [
        "network",
        "rm",
        "run",
        "run",
    ]


# --------------------------------------------------------------------------------------------
# shellcheck every rendered script
# --------------------------------------------------------------------------------------------


def _all_scripts(tmp_path: Path) -> list[Path]:
    canary = tmp_path / "CANARY"
    variants: list[tuple[str, dict[str, Any]]] = []
    for output_type in OUTPUT_TYPES:
        for sidecar in (True, False):
            variants.append((f"{output_type}-{sidecar}", config_data(output_type, sidecar=sidecar)))
        variants.append(
            (f"{output_type}-tls", config_data(output_type, tls=True, client_auth=True))
        )
        hostile = config_data(output_type, sidecar_image=hostile_images(canary)[2])
        spec = CATALOG.output_types[output_type]
        hostile["destination"] = {
            v.name: hostile_values(canary)[3 + len(v.name) % 4]
            for v in spec.env
            if not v.secret and v.name != "LOG_PROFILE"
        }
        variants.append((f"{output_type}-hostile", hostile))
    paths = []
    for name, data in variants:
        path = tmp_path / f"{name}.sh"
        path.write_text(render_script(data), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.real
def test_should_pass_shellcheck(tmp_path: Path) -> None:
    if SHELLCHECK is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    paths = _all_scripts(tmp_path)
    result = subprocess.run(
        [SHELLCHECK, "--shell=bash", "--severity=style", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_should_parse_every_script_with_bash(tmp_path: Path) -> None:
    for path in _all_scripts(tmp_path):
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, (path.name, result.stderr)


def test_should_name_secrets_but_never_assign_them_in_a_script() -> None:
    for output_type in OUTPUT_TYPES:
        script = render_script(config_data(output_type))
        for name in secret_names(CATALOG.output_types[output_type]):
            assert f"{name}=" not in script
