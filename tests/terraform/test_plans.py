"""Every deployment validated and planned offline against the real provider schemas.

Stand-in providers (tests/terraform/standin) serve the aws/azurerm/random/local schemas;
Terraform itself validates and plans. Each test works on a scratch copy without any lock file.
Assertions read `terraform show -json` as a reviewer of the plan would.
"""

from __future__ import annotations

import argparse
import base64
import copy
import itertools
import json
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stashkit.render import TFVARS_KEYS, TFVARS_VARIABLE
from stashkit.replay import Target
from stashkit.verify import syslog_target

from . import tfbin
from .conftest import REPO
from .standin import mirror

pytestmark = [pytest.mark.real, pytest.mark.slow]

SECRET = "test-secret-7f3a9c"  # a fake secret: it must surface only where secrets belong
# Fake syslog TLS material. The certificate chain is longer than an SSM Standard parameter holds.
TLS_CERT = "-----BEGIN CERTIFICATE-----\n" + "MIIBcert4c9e" * 400 + "\n-----END CERTIFICATE-----\n"
TLS_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEkey5d2b1\n-----END PRIVATE KEY-----\n"
TLS_CA = "-----BEGIN CERTIFICATE-----\nMIIBca8e7f00\n-----END CERTIFICATE-----\n"
TLS_SECRETS = {"SYSLOG_TLS_CERT": TLS_CERT, "SYSLOG_TLS_KEY": TLS_KEY, "SYSLOG_TLS_CA": TLS_CA}
TLS_FILES = {
    "SYSLOG_TLS_CERT": "server.crt",
    "SYSLOG_TLS_KEY": "server.key",
    "SYSLOG_TLS_CA": "ca.crt",
}
TLS_DIR = "/usr/share/logstash/config/tls"
SIDECAR = "ghcr.io/example/status-sidecar:1.0.0"
CERT_ARN = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/"
    "Microsoft.Network/virtualNetworks/vnet/subnets/aci"
)
# Fake TLS material of the sidecar on ACI (sensitive variables, base64 in its secret volume).
SIDECAR_TLS = {
    "sidecar_tls_cert": "-----BEGIN CERTIFICATE-----\nMIIBside9d0c\n-----END CERTIFICATE-----\n",
    "sidecar_tls_key": "-----BEGIN PRIVATE KEY-----\nMIIEside7e1a\n-----END PRIVATE KEY-----\n",
}
TOKEN_PARAMETER = "/demo/sidecar/token"
PIPELINE = "input { tcp { port => 5000 } udp { port => 5000 } }\noutput { stdout {} }\n"
SCRIPT = "#!/bin/bash\nset -euo pipefail\ndocker run logstash\n"

COMMON: dict[str, Any] = {
    "name": "demo",
    "log_profile": "all",
    "logstash_image": "docker.elastic.co/logstash/logstash:8.15.0",
    "sidecar_image": SIDECAR,
    "pipeline_config": PIPELINE,
    "logstash_environment": {"DESTINATION_URL": "https://siem.example.com:8088"},
    "syslog_source_cidrs": ["10.10.0.0/16"],
}
AWS: dict[str, Any] = COMMON | {
    "container_script": SCRIPT,
    "region": "eu-west-1",
    "vpc_id": "vpc-0123456789abcdef0",
}
BASE: dict[str, dict[str, Any]] = {
    "aws-ec2-single-instance": AWS | {"subnet_id": "subnet-0123456789abcdef0"},
    "aws-ec2-autoscale": AWS | {"subnet_ids": ["subnet-0123456789abcdef0", "subnet-0aaa"]},
    "azure-aci": COMMON
    | {"location": "westeurope", "subnet_ids": [SUBNET]},  # Private: the default
}
SECRET_NAME = {
    "aws-ec2-single-instance": "SPLUNK_HEC_TOKEN",
    "aws-ec2-autoscale": "SPLUNK_HEC_TOKEN",
    "azure-aci": "AZURE_CLIENT_SECRET",
}

# Representative variable sets: sidecar on/off, dashboard via NLB on/off, TLS on/off (default
# and moved port, with and without client auth), and every output type once.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("aws-ec2-autoscale", "sidecar-dashboard-tls", {"output_type": "splunk-hec",
        "expose_dashboard_via_nlb": True, "operator_cidrs": ["203.0.113.10/32"],
        "dashboard_certificate_arn": CERT_ARN}),
    ("aws-ec2-autoscale", "sidecar-dashboard-plaintext-allowed", {"output_type": "webhook-test",
        "expose_dashboard_via_nlb": True, "operator_cidrs": ["203.0.113.10/32"],
        "allow_plaintext_dashboard": True, "sidecar_health_port": 8081}),
    ("aws-ec2-autoscale", "sidecar-dashboard-internal-nlb", {"output_type": "splunk-hec",
        "expose_dashboard_via_nlb": True, "nlb_internal": True,
        "operator_cidrs": ["10.20.0.0/16"]}),
    ("aws-ec2-autoscale", "sidecar-mtls", {"output_type": "zabbix", "syslog_tls_enabled": True,
        "syslog_tls_client_auth": True, "health_check_grace_period": 420}),
    ("aws-ec2-autoscale", "no-sidecar-tls-port", {"output_type": "elasticsearch",
        "sidecar_image": "", "syslog_tls_enabled": True, "syslog_tls_port": 10514,
        "ssh_cidrs": ["198.51.100.0/24"]}),
    ("aws-ec2-single-instance", "sidecar", {"output_type": "dynatrace",
        "operator_cidrs": ["203.0.113.10/32"]}),
    ("aws-ec2-single-instance", "sidecar-world-allowed", {"output_type": "splunk-hec",
        "operator_cidrs": ["0.0.0.0/0"], "ssh_cidrs": ["0.0.0.0/0"], "allow_world_cidrs": True,
        "sidecar_health_port": 13001, "sidecar_token_version": 3,
        "logstash_secrets_version": 2}),
    ("aws-ec2-single-instance", "no-sidecar-tls", {"output_type": "dynatrace-logs",
        "sidecar_image": "", "syslog_tls_enabled": True}),
    ("azure-aci", "sidecar", {"output_type": "azure-log-ingestion"}),
    ("azure-aci", "sidecar-tls-port", {"output_type": "dynatrace-metrics",
        "syslog_tls_enabled": True, "syslog_tls_port": 10514}),
    ("azure-aci", "sidecar-mtls", {"output_type": "splunk-hec", "syslog_tls_enabled": True,
        "syslog_tls_client_auth": True}),
    ("azure-aci", "sidecar-disabled", {"output_type": "webhook-test", "sidecar_enabled": False}),
    ("azure-aci", "public-sidecar-tls", {"output_type": "splunk-hec", "ip_address_type": "Public",
        "publish_sidecar": True} | SIDECAR_TLS),
    ("azure-aci", "public-sidecar-inside", {"output_type": "splunk-hec",
        "ip_address_type": "Public", "publish_sidecar": False, "sidecar_health_port": 8081}),
    ("azure-aci", "public-sidecar-plaintext-allowed", {"output_type": "splunk-hec",
        "ip_address_type": "Public", "publish_sidecar": True, "allow_plaintext_dashboard": True}),
    ("azure-aci", "public-no-sidecar", {"output_type": "webhook-test", "sidecar_image": "",
        "ip_address_type": "Public"}),
]  # fmt: skip


def tls_port(variables: Mapping[str, Any]) -> int | None:
    """The syslog TLS port when TLS is on, else None."""
    if not variables.get("syslog_tls_enabled", False):
        return None
    port: int = variables.get("syslog_tls_port", 6514)
    return port


def tls_secrets(variables: Mapping[str, Any]) -> dict[str, str]:
    """The TLS secrets a variable set needs: certificate and key, the CA with client auth."""
    if tls_port(variables) is None:
        return {}
    wanted = ["SYSLOG_TLS_CERT", "SYSLOG_TLS_KEY"]
    if variables.get("syslog_tls_client_auth", False):
        wanted.append("SYSLOG_TLS_CA")
    return {name: TLS_SECRETS[name] for name in wanted}


def _words(text: str) -> str:
    return " ".join(text.split())  # Terraform wraps its messages


@dataclass
class Workspace:
    """One deployment in a scratch copy, initialised against the stand-ins."""

    dir: Path
    env: dict[str, str]
    counter: Iterator[int]

    def run(
        self, args: list[str], secrets: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        env["TF_VAR_logstash_secrets"] = json.dumps(dict(secrets or {}))
        return tfbin.run_terraform(args, self.dir, env=env)

    def var_file(self, variables: Mapping[str, Any]) -> str:
        """Cases are flat maps; the rendered keys go into the one object render writes."""
        rendered = {k: v for k, v in variables.items() if k in TFVARS_KEYS}
        others = {k: v for k, v in variables.items() if k not in TFVARS_KEYS}
        path = self.dir / f"case-{next(self.counter)}.tfvars.json"
        path.write_text(json.dumps({TFVARS_VARIABLE: rendered, **others}))
        return path.name

    def plan(self, variables: Mapping[str, Any], secrets: Mapping[str, str]) -> dict[str, Any]:
        out = f"case-{next(self.counter)}.tfplan"
        args = ["plan", "-input=false", "-no-color", f"-var-file={self.var_file(variables)}"]
        result = self.run([*args, f"-out={out}"], secrets)
        assert result.returncode == 0, result.stderr + result.stdout
        assert "Warning" not in result.stderr + result.stdout, result.stderr + result.stdout
        shown = self.run(["show", "-json", out])
        assert shown.returncode == 0, shown.stderr
        plan: dict[str, Any] = json.loads(shown.stdout)
        return plan

    def plan_error(self, variables: Mapping[str, Any], secrets: Mapping[str, str]) -> str:
        args = ["plan", "-input=false", "-no-color", f"-var-file={self.var_file(variables)}"]
        result = self.run(args, secrets)
        assert result.returncode == 1, result.stdout
        return _words(result.stderr)


def _workspace(root: Path, deployment: str, env: dict[str, str]) -> Workspace:
    tfbin.copy_tree(REPO, root, ["modules", "deployments"])
    ws = Workspace(root / "deployments" / deployment, env, itertools.count())
    init = ws.run(["init", "-backend=false", "-input=false", "-no-color"])
    assert init.returncode == 0, init.stderr
    return ws


@pytest.fixture(scope="session")
def standin_env() -> dict[str, str]:
    try:
        return mirror.mirror_env()
    except tfbin.ToolUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def workspaces(
    tmp_path_factory: pytest.TempPathFactory, standin_env: dict[str, str]
) -> dict[str, Workspace]:
    return {d: _workspace(tmp_path_factory.mktemp(d), d, standin_env) for d in BASE}


def resources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Planned resources by address, through child modules."""
    found: dict[str, dict[str, Any]] = {}
    stack = [plan["planned_values"]["root_module"]]
    while stack:
        module = stack.pop()
        found.update({r["address"]: r for r in module.get("resources", [])})
        stack.extend(module.get("child_modules", []))
    return found


def of_type(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r["values"] for r in resources(plan).values() if r["type"] == type_]


def secret_places(plan: dict[str, Any], secret: str = SECRET) -> list[str]:
    """JSON paths of the plan where ``secret`` appears, outside the input variables."""
    places: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif isinstance(value, str) and secret in value:
            places.append(path)

    stripped = copy.deepcopy(plan)
    stripped.pop("variables", None)
    for rc in stripped.get("resource_changes", []):
        walk(rc["change"].get("after"), f"{rc['address']}")
    for address, r in resources(stripped).items():
        walk(r["values"], f"planned:{address}")
    stripped.pop("resource_changes", None)
    stripped.pop("planned_values", None)
    walk(stripped, "plan")
    return places


@pytest.mark.parametrize(
    ("deployment", "case", "overrides"), CASES, ids=[f"{d}-{c}" for d, c, _ in CASES]
)
def test_should_validate_and_plan(
    workspaces: dict[str, Workspace], deployment: str, case: str, overrides: dict[str, Any]
) -> None:
    ws = workspaces[deployment]
    validate = ws.run(["validate", "-no-color"])
    assert validate.returncode == 0 and "Warning" not in validate.stderr, validate.stderr
    variables = BASE[deployment] | overrides
    tls = tls_secrets(variables)
    plan = ws.plan(variables, {SECRET_NAME[deployment]: SECRET} | tls)
    CHECKS[deployment](plan, variables)
    if deployment.startswith("aws-"):
        # Write-only arguments: SSM gets the values, the plan (and so the state) never does.
        assert secret_places(plan) == []
        for value in tls.values():
            assert secret_places(plan, value) == []
        _assert_written_through_value_wo(plan, variables)
    else:
        # The secret is stored where secrets belong, and nowhere else.
        places = secret_places(plan)
        assert places, "the secret must reach its store"
        assert all("secure_environment_variables" in p for p in places), places
        # TLS material only base64-encoded in the secret volume.
        for name, value in tls.items():
            places = secret_places(plan, value)
            assert places == [], f"{name} must reach ACI only as a secret volume file: {places}"
        for name, value in SIDECAR_TLS.items():
            assert secret_places(plan, value) == [], f"{name} only as a secret volume file"


def _module_resources(plan: dict[str, Any], module: str) -> dict[str, dict[str, Any]]:
    config = plan["configuration"]["root_module"]["module_calls"][module]["module"]
    return {r["address"]: r for r in config["resources"]}


def _assert_written_through_value_wo(plan: dict[str, Any], variables: dict[str, Any]) -> None:
    """Every SSM parameter is written through value_wo (+ value_wo_version), never value."""
    config = _module_resources(plan, "host")
    expected = {
        "aws_ssm_parameter.this": ("var.logstash_secrets", "var.logstash_secrets_version"),
        "aws_ssm_parameter.sidecar_token": (
            "random_password.sidecar_token",
            "var.sidecar_token_version",
        ),
    }
    for address, (value_ref, version_ref) in expected.items():
        expressions = config[address]["expressions"]
        assert "value" not in expressions, address
        assert value_ref in expressions["value_wo"]["references"], expressions
        assert expressions["value_wo_version"]["references"] == [version_ref], expressions
    for param in of_type(plan, "aws_ssm_parameter"):
        assert param["value"] is None and param["value_wo"] is None, param["name"]
        version = (
            variables.get("sidecar_token_version", 1)
            if param["name"] == TOKEN_PARAMETER
            else variables.get("logstash_secrets_version", 1)
        )
        assert param["value_wo_version"] == version, param["name"]


def _ingress(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return of_type(plan, "aws_vpc_security_group_ingress_rule")


def check_aws_common(plan: dict[str, Any], variables: dict[str, Any]) -> None:
    sidecar = variables["sidecar_image"] != ""
    health_port = variables.get("sidecar_health_port", 3001)
    ingress = _ingress(plan)
    ports = {(r["from_port"], r["ip_protocol"], r["cidr_ipv4"]) for r in ingress}
    assert (5000, "tcp", "10.10.0.0/16") in ports
    assert (5000, "udp", "10.10.0.0/16") in ports
    tls = tls_port(variables)
    syslog_tls = {p for p, proto, cidr in ports if cidr == "10.10.0.0/16" and p != 5000}
    assert syslog_tls == ({tls} if tls else set()), "TLS opens syslog_tls_port, and only then"
    assert all(r["from_port"] == r["to_port"] for r in ingress)
    assert not any(r["from_port"] == 9600 for r in ingress), "9600 must never be open"
    world = [r for r in ingress if r["cidr_ipv4"] == "0.0.0.0/0"]
    if not variables.get("allow_world_cidrs", False):
        assert world == [], "nothing is open to the world by default"
    ssh = [r for r in ingress if r["from_port"] == 22]
    assert {r["cidr_ipv4"] for r in ssh} == set(variables.get("ssh_cidrs", []))
    # The full API (sidecar_port) is open to operator_cidrs only, never to the VPC.
    dashboard = [r for r in ingress if r["from_port"] == 3000]
    expected = set(variables.get("operator_cidrs", [])) if sidecar else set()
    assert {r["cidr_ipv4"] for r in dashboard} == expected
    # The health-only port is open to the load balancer network only (none on a single host).
    health = {r["cidr_ipv4"] for r in ingress if r["from_port"] == health_port}
    assert health <= {"10.0.0.0/16"}
    params = {p["name"]: p for p in of_type(plan, "aws_ssm_parameter")}
    token = params.pop(TOKEN_PARAMETER, None)
    names = {"SPLUNK_HEC_TOKEN", *tls_secrets(variables)}
    assert set(params) == {f"/demo/logstash/{n}" for n in names}
    assert all(p["type"] == "SecureString" for p in params.values())
    # The sidecar's token: generated, a SecureString of its own, only with the sidecar.
    passwords = of_type(plan, "random_password")
    if sidecar:
        assert token is not None and token["type"] == "SecureString"
        ((password),) = passwords
        assert (password["length"], password["special"]) == (48, False)
        assert password["keepers"] == {"version": str(variables.get("sidecar_token_version", 1))}
        outputs = plan["planned_values"]["outputs"]
        assert outputs["sidecar_token"]["sensitive"] is True
        assert outputs["sidecar_token_parameter"]["value"] == TOKEN_PARAMETER
        assert outputs["sidecar_health_port"]["value"] == health_port
    else:
        assert token is None and passwords == []
    # A certificate chain over 4 KB needs an Advanced parameter; short values stay Standard.
    tiers = {name.rsplit("/", 1)[1]: p["tier"] for name, p in params.items()}
    assert tiers == {n: "Advanced" if n == "SYSLOG_TLS_CERT" else "Standard" for n in names}
    (bucket_policy,) = of_type(plan, "aws_s3_bucket_public_access_block")
    assert all(bucket_policy[k] for k in ("block_public_acls", "block_public_policy"))


def check_single(plan: dict[str, Any], variables: dict[str, Any]) -> None:
    check_aws_common(plan, variables)
    (instance,) = of_type(plan, "aws_instance")
    assert instance["metadata_options"][0]["http_tokens"] == "required"
    assert instance["root_block_device"][0]["encrypted"] is True
    assert instance["user_data_replace_on_change"] is True
    (config,) = of_type(plan, "terraform_data")
    assert set(config["input"]) == {
        "pipeline_config", "container_script", "sidecar_image", "host_config",
    }  # fmt: skip


def check_autoscale(plan: dict[str, Any], variables: dict[str, Any]) -> None:
    check_aws_common(plan, variables)
    sidecar = variables["sidecar_image"] != ""
    health_port = str(variables.get("sidecar_health_port", 3001))
    by_name = {tg["name"]: tg for tg in of_type(plan, "aws_lb_target_group")}
    syslog = by_name["demo-syslog"]
    assert (syslog["protocol"], syslog["port"]) == ("TCP_UDP", 5000)
    hc = syslog["health_check"][0]
    if sidecar:  # the health-only listener, never the full API on 3000
        assert (hc["protocol"], hc["port"], hc["path"], hc["matcher"]) == (
            "HTTP",
            health_port,
            "/api/health",
            "200",
        )
    else:
        assert (hc["protocol"], hc["port"]) == ("TCP", "5000")
    tls = tls_port(variables)
    assert ("demo-syslog-tls" in by_name) == (tls is not None)
    if tls:
        tls_group = by_name["demo-syslog-tls"]
        assert (tls_group["protocol"], tls_group["port"]) == ("TCP", tls)
        tls_hc = tls_group["health_check"][0]
        assert (tls_hc["protocol"], tls_hc["port"]) == (
            ("HTTP", health_port) if sidecar else ("TCP", str(tls))
        )
    exposed = sidecar and variables.get("expose_dashboard_via_nlb", False)
    assert ("demo-dashboard" in by_name) == exposed
    if exposed:
        dashboard_hc = by_name["demo-dashboard"]["health_check"][0]
        assert (dashboard_hc["path"], dashboard_hc["port"]) == ("/healthz", health_port)
        assert by_name["demo-dashboard"]["protocol"] == "TCP"
    certificate = variables.get("dashboard_certificate_arn")
    dashboard_protocol = "TLS" if certificate else "TCP"
    listeners = {(x["port"], x["protocol"]) for x in of_type(plan, "aws_lb_listener")}
    assert listeners == (
        {(5000, "TCP_UDP")}
        | ({(tls, "TCP")} if tls else set())
        | ({(3000, dashboard_protocol)} if exposed else set())
    )
    for listener in of_type(plan, "aws_lb_listener"):
        if listener["protocol"] == "TLS":  # the NLB terminates the dashboard's TLS, 1.2 at least
            assert listener["certificate_arn"] == certificate
            assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        else:
            assert listener["certificate_arn"] is None and listener["ssl_policy"] is None
    (asg,) = of_type(plan, "aws_autoscaling_group")
    assert asg["health_check_type"] == ("ELB" if sidecar else "EC2")
    assert asg["health_check_grace_period"] == variables.get("health_check_grace_period", 300)
    assert asg["instance_refresh"][0]["strategy"] == "Rolling"
    (policy,) = of_type(plan, "aws_autoscaling_policy")
    metric = policy["target_tracking_configuration"][0]["predefined_metric_specification"][0]
    assert metric["predefined_metric_type"] == "ASGAverageCPUUtilization"
    (template,) = of_type(plan, "aws_launch_template")
    assert template["metadata_options"][0]["http_tokens"] == "required"
    assert template["block_device_mappings"][0]["ebs"][0]["encrypted"] == "true"
    # NLB health checks reach the instances from the VPC only, on the health-only port.
    health = [r for r in _ingress(plan) if r["cidr_ipv4"] == "10.0.0.0/16"]
    assert {r["from_port"] for r in health} == (
        {int(health_port)} if sidecar else {5000} | ({tls} if tls else set())
    )


def check_aci(plan: dict[str, Any], variables: dict[str, Any]) -> None:
    sidecar = variables.get("sidecar_enabled", True) and variables["sidecar_image"] != ""
    public = variables.get("ip_address_type", "Private") == "Public"
    published = sidecar and (not public or variables.get("publish_sidecar") is True)
    tls_sidecar = "sidecar_tls_cert" in variables
    health_port = variables.get("sidecar_health_port", 3001)
    (group,) = of_type(plan, "azurerm_container_group")
    assert group["ip_address_type"] == ("Public" if public else "Private")
    assert group["subnet_ids"] == (None if public else [SUBNET])
    containers = {c["name"]: c for c in group["container"]}
    assert sorted(containers) == (["logstash", "status-sidecar"] if sidecar else ["logstash"])
    logstash = containers["logstash"]
    commands = logstash["commands"]
    assert commands[commands.index("--path.logs") + 1] == "/var/log/logstash"
    assert logstash["environment_variables"]["LOG_STYLE"] == "file"  # else console only
    assert logstash["liveness_probe"][0]["exec"] == ["curl", "-sf", "http://localhost:9600/"]
    assert logstash["secure_environment_variables"] == {"AZURE_CLIENT_SECRET": SECRET}
    assert SECRET not in json.dumps(logstash["environment_variables"])
    logs = [v for c in containers.values() for v in c["volume"] if v["name"] == "logstash-logs"]
    assert len(logs) == len(containers)
    assert all(v["empty_dir"] and v["mount_path"] == "/var/log/logstash" for v in logs)
    exposed = {(p["port"], p["protocol"]) for p in group["exposed_port"]}
    assert {(5000, "TCP"), (5000, "UDP")} <= exposed
    # A Public group publishes the sidecar only with publish_sidecar = true; never the health port.
    assert ((3000, "TCP") in exposed) == published
    assert health_port not in {p for p, _ in exposed}
    tls = tls_port(variables)
    assert exposed - {(5000, "TCP"), (5000, "UDP"), (3000, "TCP")} == (
        {(tls, "TCP")} if tls else set()
    )
    assert 9600 not in {p for p, _ in exposed}
    logstash_ports = {(p["port"], p["protocol"]) for p in logstash["ports"]}
    assert logstash_ports == exposed - ({(3000, "TCP")} if published else set())
    # TLS material: files in a read-only secret volume where the pipeline's tcp input reads them.
    tls_volumes = [v for v in logstash["volume"] if v["secret"]]
    if tls:
        (volume,) = tls_volumes
        assert volume in logstash["volume"]
        assert (volume["name"], volume["mount_path"], volume["read_only"]) == (
            "syslog-tls", TLS_DIR, True,
        )  # fmt: skip
        assert volume["secret"] == {
            TLS_FILES[name]: base64.b64encode(value.encode()).decode()
            for name, value in tls_secrets(variables).items()
        }
    else:
        assert tls_volumes == []
    if sidecar:
        side = containers["status-sidecar"]
        assert (side["cpu"], side["memory"]) == (0.5, 0.5)
        env = side["environment_variables"]
        assert env["LOGSTASH_API_URL"] == "http://localhost:9600"
        assert env["LOG_PROFILE"] == variables["log_profile"]
        assert (env["PORT"], env["HEALTH_PORT"]) == ("3000", str(health_port))
        assert env["AUTH_TOKEN_FILE"] == "/run/stashkit/token"
        assert env["SECRETS_ENV_FILE"] == "/run/stashkit/secrets.env"
        tls_files = {
            "TLS_CERT_FILE": "/run/stashkit/tls.crt",
            "TLS_KEY_FILE": "/run/stashkit/tls.key",
        }
        assert {k: env[k] for k in tls_files if k in env} == (tls_files if tls_sidecar else {})
        assert SECRET not in json.dumps(env)
        scheme = "https" if tls_sidecar else "http"
        for probe, path in (("readiness_probe", "/api/health"), ("liveness_probe", "/healthz")):
            (get,) = side[probe][0]["http_get"]
            assert (get["path"], get["port"], get["scheme"]) == (path, health_port, scheme)
        assert {(p["port"], p["protocol"]) for p in side["ports"]} == (
            {(3000, "TCP")} if published else set()
        )
        assert [v["read_only"] for v in side["volume"]] == [True, True]
        (secrets,) = [v for v in side["volume"] if v["name"] == "sidecar-secrets"]
        assert secrets["mount_path"] == "/run/stashkit"
        # The token is generated at apply (unknown in the plan); the rest is known.
        known = secrets["secret"] or {}
        assert "token" not in known
        expected = {"secrets.env": f"AZURE_CLIENT_SECRET={SECRET}\n"}
        if tls_sidecar:
            expected |= {"tls.crt": SIDECAR_TLS["sidecar_tls_cert"]}
            expected |= {"tls.key": SIDECAR_TLS["sidecar_tls_key"]}
        assert {k: base64.b64decode(v).decode() for k, v in known.items()} == expected
        assert not side["secure_environment_variables"]
        ((password),) = of_type(plan, "random_password")
        assert (password["length"], password["special"]) == (48, False)
    else:
        assert of_type(plan, "random_password") == []
    outputs = plan["planned_values"]["outputs"]
    assert outputs["sidecar_token"]["sensitive"] is True
    if not published:
        assert outputs["sidecar_url"].get("value") is None
    (account,) = of_type(plan, "azurerm_storage_account")
    assert account["https_traffic_only_enabled"] is True
    assert account["min_tls_version"] == "TLS1_2"
    (share_file,) = of_type(plan, "azurerm_storage_share_file")
    assert share_file["name"] == "logstash.conf"


CHECKS = {
    "aws-ec2-single-instance": check_single,
    "aws-ec2-autoscale": check_autoscale,
    "azure-aci": check_aci,
}

NEGATIVE: list[tuple[str, dict[str, Any], dict[str, str] | None, str]] = [
    ("aws-ec2-autoscale", {"sidecar_port": 70000}, None,
     "sidecar_port must be a whole number between 1 and 65535."),
    ("aws-ec2-single-instance", {"syslog_port": 70000}, None,
     "syslog_port must be a whole number between 1 and 65535."),
    ("azure-aci", {"sidecar_port": 70000}, None,
     "sidecar_port must be a whole number between 1 and 65535."),
    ("aws-ec2-autoscale", {"syslog_source_cidrs": ["10.10.0.0/33"]}, None,
     "syslog_source_cidrs must contain only valid CIDR blocks"),
    ("azure-aci", {"syslog_source_cidrs": ["not-a-cidr"]}, None,
     "syslog_source_cidrs must contain only valid CIDR blocks"),
    ("aws-ec2-single-instance", {"operator_cidrs": ["203.0.113.300/32"]}, None,
     "operator_cidrs must contain only valid CIDR blocks"),
    ("aws-ec2-single-instance", {"output_type": "splunk"}, None,
     "output_type must be one of: splunk-hec,"),
    ("azure-aci", {"output_type": "graylog"}, None, "output_type must be one of: splunk-hec,"),
    ("aws-ec2-autoscale", {}, {"SPLUNK_HEC_TOKEN": ""},
     "Every logstash_secrets value must be non-empty"),
    ("azure-aci", {}, {"AZURE_CLIENT_SECRET": " "},
     "Every logstash_secrets value must be non-empty"),
    ("aws-ec2-autoscale", {"min_size": 3, "max_size": 2, "desired_capacity": 2}, None,
     "min_size must not exceed max_size."),
    ("aws-ec2-autoscale", {"expose_dashboard_via_nlb": True}, None,
     "expose_dashboard_via_nlb needs operator_cidrs"),
    ("aws-ec2-autoscale", {"syslog_tls_port": 70000}, None,
     "syslog_tls_port must be a whole number between 1 and 65535, and not 9600"),
    ("azure-aci", {"syslog_tls_port": 9600}, None,
     "syslog_tls_port must be a whole number between 1 and 65535, and not 9600"),
    ("aws-ec2-single-instance", {"syslog_tls_enabled": True, "syslog_tls_port": 5000}, None,
     "syslog_tls_port must differ from syslog_port and, when the sidecar runs, from sidecar_port"),
    ("azure-aci", {"syslog_tls_enabled": True, "syslog_tls_port": 3000}, None,
     "syslog_tls_port must differ from syslog_port and, when the sidecar runs, from sidecar_port"),
    ("aws-ec2-single-instance", {"syslog_tls_enabled": True},
     {"SPLUNK_HEC_TOKEN": SECRET, "SYSLOG_TLS_CERT": TLS_CERT},
     "logstash_secrets lacks SYSLOG_TLS_KEY: syslog over TLS needs SYSLOG_TLS_CERT and "
     "SYSLOG_TLS_KEY"),
    ("aws-ec2-autoscale", {"syslog_tls_enabled": True, "syslog_tls_client_auth": True},
     {"SPLUNK_HEC_TOKEN": SECRET, "SYSLOG_TLS_CERT": TLS_CERT, "SYSLOG_TLS_KEY": TLS_KEY},
     "logstash_secrets lacks SYSLOG_TLS_CA: syslog over TLS needs"),
    ("azure-aci", {"syslog_tls_enabled": True}, {"SPLUNK_HEC_TOKEN": SECRET},
     "logstash_secrets lacks SYSLOG_TLS_CERT, SYSLOG_TLS_KEY: syslog over TLS needs"),
    ("aws-ec2-single-instance", {}, {"SYSLOG_TLS_CERT": TLS_CERT * 3},
     "Every logstash_secrets value must fit an SSM Advanced parameter (8 KB)"),
    # Safe exposure by default (issue 15): the whole internet needs an explicit opt-in...
    ("aws-ec2-single-instance", {"operator_cidrs": ["0.0.0.0/0"]}, None,
     "operator_cidrs must not contain 0.0.0.0/0 or ::/0 (the whole internet would reach the "
     "sidecar's API): name the operators' CIDR blocks, or set allow_world_cidrs = true"),
    ("aws-ec2-autoscale", {"operator_cidrs": ["203.0.113.10/32", "::/0"]}, None,
     "operator_cidrs must not contain 0.0.0.0/0 or ::/0"),
    ("azure-aci", {"operator_cidrs": ["0.0.0.0/0"]}, None,
     "operator_cidrs must not contain 0.0.0.0/0 or ::/0"),
    ("aws-ec2-single-instance", {"ssh_cidrs": ["::/0"]}, None,
     "ssh_cidrs must not contain 0.0.0.0/0 or ::/0 (SSH open to the whole internet): name the "
     "operators' CIDR blocks or use SSM Session Manager, or set allow_world_cidrs = true"),
    ("aws-ec2-autoscale", {"ssh_cidrs": ["0.0.0.0/0"]}, None,
     "ssh_cidrs must not contain 0.0.0.0/0 or ::/0"),
    # ... the health-only port is a port of its own...
    ("aws-ec2-autoscale", {"sidecar_health_port": 70000}, None,
     "sidecar_health_port must be a whole number between 1 and 65535, and not 9600"),
    ("aws-ec2-single-instance", {"sidecar_health_port": 3000}, None,
     "sidecar_health_port must differ from sidecar_port, syslog_port and (with syslog over TLS) "
     "syslog_tls_port"),
    ("azure-aci", {"sidecar_health_port": 5000}, None,
     "sidecar_health_port must differ from sidecar_port, syslog_port"),
    # ... the NLB's dashboard is TLS on the internet unless plain TCP is asked for...
    ("aws-ec2-autoscale", {"expose_dashboard_via_nlb": True, "operator_cidrs": ["203.0.113.10/32"]},
     None, "expose_dashboard_via_nlb on an internet-facing NLB (nlb_internal = false) needs "
     "dashboard_certificate_arn: the dashboard listener is TLS with that ACM certificate. Set "
     "allow_plaintext_dashboard = true to forward plain TCP"),
    ("aws-ec2-autoscale",
     {"dashboard_certificate_arn": "arn:aws:iam::111122223333:server-certificate/d"}, None,
     "dashboard_certificate_arn must be an ACM certificate ARN"),
    # ... and a Public ACI group publishes the sidecar only when told, over TLS unless told.
    ("azure-aci", {"ip_address_type": "Public"}, None,
     "On a Public container group the sidecar port would be open to the whole internet (ACI "
     "cannot filter sources). Set publish_sidecar = true to publish it"),
    ("azure-aci", {"ip_address_type": "Public", "publish_sidecar": True}, None,
     "publish_sidecar = true on a Public container group serves the sidecar API and its token on "
     "the internet: give sidecar_tls_cert and sidecar_tls_key"),
    ("azure-aci", {"subnet_ids": []}, None, "ip_address_type = Private needs subnet_ids"),
    ("azure-aci", {"sidecar_tls_cert": SIDECAR_TLS["sidecar_tls_cert"]}, None,
     "sidecar_tls_cert and sidecar_tls_key go together"),
    ("azure-aci", {"sidecar_tls_key": "not a key"}, None,
     "sidecar_tls_key must be a PEM private key"),
    ("azure-aci", {}, {"AZURE_CLIENT_SECRET": "line1\nline2"},
     "logstash_secrets AZURE_CLIENT_SECRET contains a newline, which the sidecar's secrets env "
     "file (the values it redacts) cannot carry"),
    ("aws-ec2-autoscale", {"sidecar_token_version": 0}, None,
     "sidecar_token_version must be a whole number of at least 1."),
    ("aws-ec2-single-instance", {"logstash_secrets_version": 1.5}, None,
     "logstash_secrets_version must be a whole number of at least 1."),
    ("azure-aci", {"sidecar_token_version": -1}, None,
     "sidecar_token_version must be a whole number of at least 1."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("deployment", "overrides", "secrets", "message"),
    NEGATIVE,
    ids=[
        f"{d}-{'-'.join(o) or 'secret'}{'-secrets' if s and o else ''}" for d, o, s, _ in NEGATIVE
    ],
)
def test_should_reject_an_invalid_value_with_its_validation_message(
    workspaces: dict[str, Workspace],
    deployment: str,
    overrides: dict[str, Any],
    secrets: dict[str, str] | None,
    message: str,
) -> None:
    variables = BASE[deployment] | {"output_type": "splunk-hec"} | overrides
    error = workspaces[deployment].plan_error(variables, secrets or {"TOKEN": SECRET})
    assert message in error


def _apply(ws: Workspace, variables: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
    applied = ws.run(
        ["apply", "-auto-approve", "-input=false", "-no-color",
         f"-var-file={ws.var_file(variables)}"], secrets,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr + applied.stdout


@pytest.mark.parametrize(
    ("deployment", "type_", "decode"),
    [
        ("aws-ec2-single-instance", "aws_instance", False),
        ("aws-ec2-autoscale", "aws_launch_template", True),
    ],
)
def test_user_data_should_run_the_container_script_without_any_secret(
    tmp_path: Path, standin_env: dict[str, str], deployment: str, type_: str, decode: bool
) -> None:
    # User data names the bucket, so it is only known after apply: apply to a local state.
    ws = _workspace(tmp_path, deployment, standin_env)
    variables = BASE[deployment] | {
        "output_type": "splunk-hec", "syslog_tls_enabled": True, "syslog_tls_port": 10514,
    }  # fmt: skip
    _apply(ws, variables, {"SPLUNK_HEC_TOKEN": SECRET} | tls_secrets(variables))
    state = json.loads(ws.run(["show", "-json"]).stdout)
    (host,) = [r["values"] for r in _state_resources(state) if r["type"] == type_]
    text = base64.b64decode(host["user_data"]).decode() if decode else host["user_data"]
    assert SECRET not in text
    assert TLS_KEY not in text and TLS_CERT not in text
    assert "STASHKIT_SSM_PREFIX='/demo/logstash'" in text
    assert "install -d -m 0755 -o 1000 -g 1000 /var/log/logstash" in text
    assert 'bash "$CONFIG_DIR/run-containers.sh"' in text
    # The sidecar's token: the container script reads it from SSM by name; the name only here.
    assert f"STASHKIT_SIDECAR_TOKEN_PARAMETER='{TOKEN_PARAMETER}'" in text
    assert "STASHKIT_SIDECAR_HEALTH_PORT='3001'" in text
    assert 'STASHKIT_SIDECAR_DIR="$CONFIG_DIR/sidecar"' in text
    token = _output(ws, "sidecar_token")
    assert isinstance(token, str) and token and token not in text
    resources = _state_resources(state)
    by_type = {r["type"]: r["values"] for r in resources}
    params = [r for r in resources if r["type"] == "aws_ssm_parameter" and r["mode"] == "managed"]
    assert sorted(p["values"]["name"] for p in params) == [
        "/demo/logstash/SPLUNK_HEC_TOKEN", "/demo/logstash/SYSLOG_TLS_CERT",
        "/demo/logstash/SYSLOG_TLS_KEY", TOKEN_PARAMETER,
    ]  # fmt: skip
    param_arns = sorted(p["values"]["arn"] for p in params if p["index"] != 0)
    token_arns = [p["values"]["arn"] for p in params if p["index"] == 0]
    _assert_least_privilege(by_type, param_arns, token_arns)
    # What the state holds: no Logstash secret (write-only value_wo), but the sidecar token
    # (random_password's result, which the sensitive sidecar_token output reads).
    raw_state = (ws.dir / "terraform.tfstate").read_text()
    for value in [SECRET, TLS_KEY, TLS_CERT]:
        assert json.dumps(value)[1:-1] not in raw_state
    assert token in raw_state
    assert state["values"]["outputs"]["sidecar_token"]["sensitive"] is True
    # Senders are told <host>:<port> per protocol, TLS on its own port.
    host_name = (
        by_type["aws_instance"]["private_ip"]
        if type_ == "aws_instance"
        else by_type["aws_lb"]["dns_name"]
    )
    assert _output(ws, "syslog_endpoints") == {
        "tcp": f"{host_name}:5000", "udp": f"{host_name}:5000", "tls": f"{host_name}:10514",
    }  # fmt: skip


def _output(ws: Workspace, name: str) -> Any:
    shown = ws.run(["output", "-json", name])
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_aci_outputs_should_give_senders_a_host_and_port_per_protocol(
    tmp_path: Path, standin_env: dict[str, str]
) -> None:
    ws = _workspace(tmp_path, "azure-aci", standin_env)
    variables = BASE["azure-aci"] | {
        "output_type": "splunk-hec", "syslog_tls_enabled": True, "syslog_tls_port": 10514,
        "dns_name_label": "stashkit-demo", "ip_address_type": "Public", "publish_sidecar": True,
    } | SIDECAR_TLS  # fmt: skip
    _apply(ws, variables, {"SPLUNK_HEC_AUTH": SECRET} | tls_secrets(variables))
    state = json.loads(ws.run(["show", "-json"]).stdout)
    (group,) = [
        r["values"] for r in _state_resources(state) if r["type"] == "azurerm_container_group"
    ]
    host = group["fqdn"]  # the DNS name when there is one: stable, and what a certificate names
    assert host
    endpoints = _output(ws, "syslog_endpoints")
    assert endpoints == {"tcp": f"{host}:5000", "udp": f"{host}:5000", "tls": f"{host}:10514"}
    assert _output(ws, "sidecar_url") == f"https://{host}:3000/"  # TLS: the certificate given
    # The token reaches the sidecar as a file of its secret volume, and the operator as an output.
    token = _output(ws, "sidecar_token")  # a stand-in placeholder here; 48 alphanumerics for real
    assert isinstance(token, str) and token
    (side,) = [c for c in group["container"] if c["name"] == "status-sidecar"]
    (volume,) = [v for v in side["volume"] if v["name"] == "sidecar-secrets"]
    assert base64.b64decode(volume["secret"]["token"]).decode() == token + "\n"
    assert token not in json.dumps(side["environment_variables"])
    assert state["values"]["outputs"]["sidecar_token"]["sensitive"] is True
    # `stashkit verify --send-samples` sends to these, the TLS one with --tls.
    args = argparse.Namespace(syslog=None, syslog_port=None, tls=True, tcp=False)
    assert syslog_target(args, {"syslog_endpoints": endpoints}, []) == Target(host, 10514)


def _assert_least_privilege(
    by_type: dict[str, dict[str, Any]], param_arns: list[str], token_arns: list[str]
) -> None:
    """The host role reads this bucket's config prefix, these parameters and the sidecar's
    token, nothing else."""
    bucket_arn = by_type["aws_s3_bucket"]["arn"]
    policy = json.loads(by_type["aws_iam_role_policy"]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {"ReadRenderedConfig", "ReadLogstashSecrets", "ReadSidecarToken"}
    assert statements["ReadSidecarToken"]["Action"] == ["ssm:GetParameter"]
    assert statements["ReadSidecarToken"]["Resource"] == token_arns
    assert statements["ReadRenderedConfig"]["Action"] == ["s3:GetObject"]
    assert statements["ReadRenderedConfig"]["Resource"] == [f"{bucket_arn}/config/*"]
    assert statements["ReadLogstashSecrets"]["Action"] == ["ssm:GetParameter", "ssm:GetParameters"]
    assert sorted(statements["ReadLogstashSecrets"]["Resource"]) == param_arns
    assert all(s["Effect"] == "Allow" for s in statements.values())
    trust = json.loads(by_type["aws_iam_role"]["assume_role_policy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com"},
        }
    ]
    (deny,) = json.loads(by_type["aws_s3_bucket_policy"]["policy"])["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _state_resources(state: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [state["values"]["root_module"]]
    while stack:
        module = stack.pop()
        found.extend(module.get("resources", []))
        stack.extend(module.get("child_modules", []))
    return found


def test_single_instance_should_be_replaced_when_what_it_boots_with_changes(
    tmp_path: Path, standin_env: dict[str, str]
) -> None:
    ws = _workspace(tmp_path, "aws-ec2-single-instance", standin_env)
    variables = BASE["aws-ec2-single-instance"] | {"output_type": "splunk-hec"}
    secrets = {"SPLUNK_HEC_TOKEN": SECRET}
    _apply(ws, variables, secrets)

    unchanged = ws.run(
        ["plan", "-detailed-exitcode", "-input=false", "-no-color",
         f"-var-file={ws.var_file(variables)}"], secrets,
    )  # fmt: skip
    assert unchanged.returncode == 0, unchanged.stdout  # 0 = no changes

    for change in ({"sidecar_image": SIDECAR.replace("1.0.0", "1.1.0")},
                   {"pipeline_config": PIPELINE + "# tuned\n"},
                   {"container_script": SCRIPT + "echo restarted\n"},
                   {"sidecar_token_version": 2},  # a new token reaches the sidecar at boot
                   {"sidecar_health_port": 13001}):  # fmt: skip
        plan = ws.plan(variables | change, secrets)
        actions = {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"]}
        assert sorted(actions["aws_instance.this"]) == ["create", "delete"], (change, actions)
        if "sidecar_token_version" in change:
            assert sorted(actions["module.host.random_password.sidecar_token[0]"]) == [
                "create", "delete",
            ]  # fmt: skip
            assert actions["module.host.aws_ssm_parameter.sidecar_token[0]"] == ["update"]

    # Write-only secrets: Terraform cannot see a new value, only a new logstash_secrets_version.
    changed = {"SPLUNK_HEC_TOKEN": SECRET + "-rotated"}
    unseen = ws.run(
        ["plan", "-detailed-exitcode", "-input=false", "-no-color",
         f"-var-file={ws.var_file(variables)}"], changed,
    )  # fmt: skip
    assert unseen.returncode == 0, unseen.stdout
    plan = ws.plan(variables | {"logstash_secrets_version": 2}, changed)
    actions = {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"]}
    assert actions['module.host.aws_ssm_parameter.this["SPLUNK_HEC_TOKEN"]'] == ["update"]
    assert actions["aws_instance.this"] == ["no-op"]
    assert secret_places(plan, SECRET + "-rotated") == []


@pytest.mark.parametrize("module", ["aws-nlb", "aws-logstash-host", "azure-container-group"])
def test_module_terraform_tests_should_pass_against_the_stand_ins(
    tmp_path: Path, standin_env: dict[str, str], module: str
) -> None:
    tfbin.copy_tree(REPO, tmp_path, ["modules"])
    workdir = tmp_path / "modules" / module
    init = tfbin.run_terraform(["init", "-backend=false", "-no-color"], workdir, env=standin_env)
    assert init.returncode == 0, init.stderr
    result = tfbin.run_terraform(["test", "-no-color"], workdir, env=standin_env)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = sum(p.read_text().count('\nrun "') for p in (workdir / "tests").glob("*.tftest.hcl"))
    assert f"Success! {runs} passed, 0 failed." in result.stdout


@pytest.mark.parametrize("deployment", sorted(BASE))
def test_should_name_a_rendered_attribute_that_is_missing(
    workspaces: dict[str, Workspace], deployment: str
) -> None:
    # A hand-edited stashkit.auto.tfvars.json without pipeline_config fails the plan naming it.
    variables = BASE[deployment] | {"output_type": "splunk-hec"}
    del variables["pipeline_config"]
    error = workspaces[deployment].plan_error(variables, {"TOKEN": SECRET})
    assert 'attribute "pipeline_config" is required' in error
