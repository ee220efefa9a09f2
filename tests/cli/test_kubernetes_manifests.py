"""The Kubernetes target offline: `stashkit render kubernetes` into a copy of
deployments/kubernetes, every overlay built with `kubectl kustomize`, validated strictly against
the schemas of the oldest and newest Kubernetes versions claimed (kubernetes-validate), and
assertions on the built objects: probes, the shared log volume, security contexts, Services and
ports (9600 never), the NetworkPolicy, the Secrets referenced (never rendered) and the pipeline
in its ConfigMap."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from stashkit.config import DeploymentConfig, parse_config
from stashkit.errors import ConfigError, RenderError
from stashkit.render import TLS_CONTAINER_DIR, Renderer
from stashkit.render_kube import render_kubernetes
from status_sidecar.catalog import default_catalog
from tests.cli.support import cli

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "deployments" / "kubernetes"
OVERLAYS = ("aws-nlb", "azure-lb")
VERSIONS = ("1.30.0", "1.37.0")
"""The oldest and newest Kubernetes versions the README claims."""
COMPONENTS = (
    "prometheus-servicemonitor",
    "prometheus-podmonitor",
    "hpa",
    "persistent-queue",
)
CRD_KINDS = frozenset({"ServiceMonitor", "PodMonitor"})
CATALOG = default_catalog()
RENDERER = Renderer(CATALOG)
HOSTILE = "https://splunk.example.com/a b?x=\"1\"&y=$HOME#frag 'q' \\"

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl (with Kustomize) is not on PATH")


def config(**overrides: Any) -> DeploymentConfig:
    data: dict[str, Any] = {
        "output_type": "splunk-hec",
        "sidecar_image": "ghcr.io/example/stashkit-sidecar:0.1.0",
        "destination": {"SPLUNK_ADDRESS": "https://splunk.example.com"},
        "kubernetes": {"syslog_source_cidrs": ["10.20.0.0/16", "192.0.2.0/24"]},
    }
    data.update(overrides)
    return parse_config(data, CATALOG)


CONFIGS: dict[str, DeploymentConfig] = {
    "default": config(),
    "tls-moved-ports": config(
        syslog_port=5514,
        sidecar_port=8080,
        syslog_tls={"enabled": True, "port": 6515, "client_auth": True},
        destination={"SPLUNK_ADDRESS": HOSTILE},
        kubernetes={
            "syslog_source_cidrs": ["10.0.0.0/8", "2001:db8::/32"],
            "monitoring_namespace": "observability",
            "replicas": 3,
        },
    ),
    "zabbix-no-secrets": config(
        output_type="zabbix",
        logstash_image="registry.example:5000/logstash-zabbix@sha256:" + "a" * 64,
        sidecar_image="registry.example:5000/sidecar",
        destination={"ZABBIX_SERVER": "zabbix.internal"},
    ),
}


@dataclass
class Build:
    config: DeploymentConfig
    overlay: str
    objects: list[dict[str, Any]]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
        return found[0]

    def configmap(self, prefix: str) -> dict[str, Any]:
        found = [o for o in self.kind("ConfigMap") if o["metadata"]["name"].startswith(prefix)]
        assert len(found) == 1, prefix
        return found[0]

    @property
    def pod(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.one("StatefulSet", "stashkit-logstash")["spec"]["template"]
        return spec

    def container(self, name: str) -> dict[str, Any]:
        return next(c for c in self.pod["spec"]["containers"] if c["name"] == name)

    def volume(self, name: str) -> dict[str, Any]:
        return next(v for v in self.pod["spec"]["volumes"] if v["name"] == name)


def copy_tree(tmp: Path) -> Path:
    target = tmp / "kubernetes"
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns(".rendered"))
    return target


def kustomize(directory: Path) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run(
        [KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )


def build(
    tmp: Path, cfg: DeploymentConfig, overlay: str, components: tuple[str, ...] = ()
) -> Build:
    tree = copy_tree(tmp)
    render_kubernetes(cfg, output_dir=tree / ".rendered", renderer=RENDERER)
    directory = tree / "overlays" / overlay
    if components:
        kustomization = directory / "kustomization.yaml"
        document = yaml.safe_load(kustomization.read_text())
        document["components"] += [f"../../components/{c}" for c in components]
        kustomization.write_text(yaml.safe_dump(document))
    result = kustomize(directory)
    assert result.returncode == 0, result.stderr
    return Build(cfg, overlay, [o for o in yaml.safe_load_all(result.stdout) if o])


@pytest.fixture(scope="module", params=[(c, o) for c in CONFIGS for o in OVERLAYS])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Build:
    name, overlay = request.param
    return build(tmp_path_factory.mktemp(f"{name}-{overlay}"), CONFIGS[name], overlay)


@pytest.fixture(scope="module")
def with_components(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build(tmp_path_factory.mktemp("components"), CONFIGS["default"], "aws-nlb", COMPONENTS)


# ---- builds and schemas -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_should_validate_strictly(built: Build, version: str) -> None:
    kinds = set()
    for obj in built.objects:
        kinds.add(obj["kind"])
        kubernetes_validate.validate(obj, version, strict=True)
    assert kinds == {
        "Namespace", "ServiceAccount", "ConfigMap", "Service", "StatefulSet",
        "PodDisruptionBudget", "NetworkPolicy",
    }  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS)
def test_components_should_build_and_validate(with_components: Build, version: str) -> None:
    for obj in with_components.objects:
        if obj["kind"] not in CRD_KINDS:
            kubernetes_validate.validate(obj, version, strict=True)
    hpa = with_components.one("HorizontalPodAutoscaler", "stashkit-logstash")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "stashkit-logstash",
    }
    sts = with_components.one("StatefulSet", "stashkit-logstash")
    assert "replicas" not in sts["spec"]  # the autoscaler owns it
    claims = sts["spec"]["volumeClaimTemplates"]
    assert [c["metadata"]["name"] for c in claims] == ["data"]
    assert "data" not in {v["name"] for v in with_components.pod["spec"]["volumes"]}
    env = {e["name"]: e["value"] for e in with_components.container("logstash")["env"]}
    assert env["QUEUE_TYPE"] == "persisted"
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] == "Retain"


def test_prometheus_components_should_scrape_the_full_port_with_the_token(
    with_components: Build,
) -> None:
    auth = {"type": "Bearer", "credentials": {"name": "stashkit-sidecar-token", "key": "token"}}
    monitor = with_components.one("ServiceMonitor", "stashkit-logstash")
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"], endpoint["authorization"]) == (
        "http",
        "/metrics",
        auth,
    )
    services = [
        s for s in with_components.kind("Service")
        if any(p.get("name") == "http" for p in s["spec"]["ports"])
    ]  # fmt: skip
    assert [s["metadata"]["name"] for s in services] == ["stashkit-logstash"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= services[0]["metadata"]["labels"].items()
    pods = with_components.one("PodMonitor", "stashkit-logstash")
    [pod_endpoint] = pods["spec"]["podMetricsEndpoints"]
    assert (pod_endpoint["port"], pod_endpoint["authorization"]) == ("http", auth)
    assert (
        pods["spec"]["selector"]["matchLabels"].items()
        <= with_components.pod["metadata"]["labels"].items()
    )


def test_a_planted_unknown_field_should_fail_strict_validation(built: Build) -> None:
    sts = yaml.safe_load(yaml.safe_dump(built.one("StatefulSet", "stashkit-logstash")))
    sts["spec"]["template"]["spec"]["containers"][0]["securityContext"]["bogusField"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(sts, VERSIONS[0], strict=True)


def test_a_base_out_of_step_with_the_patches_should_fail_the_build(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    render_kubernetes(CONFIGS["default"], output_dir=tree / ".rendered", renderer=RENDERER)
    base = tree / "base" / "statefulset.yaml"
    base.write_text(base.read_text().replace("- name: syslog-tcp", "- name: syslog-stream"))
    result = kustomize(tree / "overlays" / "aws-nlb")
    assert result.returncode != 0
    assert "testing value /spec/template/spec/containers/0/ports/0/name failed" in result.stderr


def test_overlays_should_not_build_before_render(tmp_path: Path) -> None:
    result = kustomize(copy_tree(tmp_path) / "overlays" / "azure-lb")
    assert result.returncode != 0
    assert ".rendered" in result.stderr


# ---- the pod ----------------------------------------------------------------------------------


def test_probes(built: Build) -> None:
    sidecar = built.container("status-sidecar")
    ports = {p["name"]: p["containerPort"] for p in sidecar["ports"]}
    assert ports == {"http": built.config.sidecar_port, "health": 3001}
    assert sidecar["readinessProbe"]["httpGet"] == {"path": "/api/health", "port": "health"}
    assert sidecar["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert sidecar["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    logstash = built.container("logstash")
    assert "readinessProbe" not in logstash  # the pod's readiness is the sidecar's verdict
    api = ["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:9600/"]
    assert logstash["livenessProbe"]["exec"]["command"] == api
    startup = logstash["startupProbe"]
    assert startup["exec"]["command"] == api
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300  # JVM + pipeline start
    env = {e["name"]: e.get("value") for e in logstash["env"]}
    assert env["API_HTTP_HOST"] == "127.0.0.1"  # the API stays on the pod's loopback


def test_shared_log_volume(built: Build) -> None:
    assert "emptyDir" in built.volume("logs")
    logstash, sidecar = built.container("logstash"), built.container("status-sidecar")
    [written] = [m for m in logstash["volumeMounts"] if m["name"] == "logs"]
    [read] = [m for m in sidecar["volumeMounts"] if m["name"] == "logs"]
    assert written["mountPath"] == read["mountPath"] == "/var/log/logstash"
    assert not written.get("readOnly") and read["readOnly"] is True
    assert logstash["args"] == ["--path.logs", "/var/log/logstash"]
    # the image logs to the console only unless LOG_STYLE=file: the sidecar reads the file
    assert {e["name"]: e.get("value") for e in logstash["env"]}["LOG_STYLE"] == "file"
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    assert env["LOGSTASH_LOG_PATH"] == "/var/log/logstash/logstash-plain.log"
    assert env["LOGSTASH_API_URL"] == "http://127.0.0.1:9600"
    assert env["HEALTH_PORT"] == "3001"
    history = env["HISTORY_FILE"].rsplit("/", 1)[0]
    assert any(
        m["mountPath"] == history and "emptyDir" in built.volume(m["name"])
        for m in sidecar["volumeMounts"]
    )


def test_security_contexts_meet_the_restricted_standard(built: Build) -> None:
    pod = built.pod["spec"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert not {"hostNetwork", "hostPID", "hostIPC"} & set(pod)
    allowed = {"configMap", "secret", "emptyDir", "projected", "persistentVolumeClaim"}
    assert all(set(v) - {"name"} <= allowed for v in pod["volumes"])
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["runAsNonRoot"] is True
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, container["name"]
        assert "hostPort" not in str(container["ports"])
    assert built.container("status-sidecar")["securityContext"]["readOnlyRootFilesystem"] is True
    assert built.container("status-sidecar")["securityContext"]["runAsUser"] == 1001
    assert built.container("logstash")["securityContext"]["runAsUser"] == 1000
    namespace = built.one("Namespace", "stashkit")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"


def test_images_come_from_the_config(built: Build) -> None:
    assert built.container("logstash")["image"] == built.config.logstash_image
    assert built.container("status-sidecar")["image"] == built.config.sidecar_image


def test_secrets_are_referenced_never_rendered(built: Build) -> None:
    assert built.kind("Secret") == []
    secrets = built.volume("logstash-secrets")["secret"]
    assert secrets["secretName"] == "stashkit-logstash-secrets"
    has_secrets = built.config.output_type != "zabbix"
    assert secrets.get("optional", False) is (not has_secrets)
    sources = built.volume("sidecar-files")["projected"]["sources"]
    assert [s["secret"]["name"] for s in sources] == [
        "stashkit-sidecar-token",
        "stashkit-logstash-secrets",
    ]
    env = {e["name"]: e.get("value") for e in built.container("status-sidecar")["env"]}
    assert env["AUTH_TOKEN_FILE"] == "/run/stashkit/token"
    assert env["SECRETS_ENV_FILE"] == "/run/stashkit/logstash-secrets.env"
    mounts = {m["name"]: m for m in built.container("status-sidecar")["volumeMounts"]}
    assert mounts["sidecar-files"] == {
        "name": "sidecar-files",
        "mountPath": "/run/stashkit",
        "readOnly": True,
    }
    output_type = CATALOG.output_types[built.config.output_type]
    secret_vars = {v.name for v in output_type.env if v.secret}
    assert not secret_vars & set(built.configmap("stashkit-logstash-env-")["data"])
    for env_source in built.container("logstash").get("env", []):
        assert env_source["name"] not in secret_vars


def test_syslog_tls_follows_the_config(built: Build) -> None:
    tls = built.config.tls
    names = {v["name"] for v in built.pod["spec"]["volumes"]}
    assert ("syslog-tls" in names) is tls.enabled
    if not tls.enabled:
        return
    volume = built.volume("syslog-tls")["secret"]
    assert volume["secretName"] == "stashkit-syslog-tls"
    assert volume["items"] == [
        {"key": "tls.crt", "path": "server.crt"},
        {"key": "tls.key", "path": "server.key"},
        {"key": "ca.crt", "path": "ca.crt"},
    ]
    mount = next(
        m for m in built.container("logstash")["volumeMounts"] if m["name"] == "syslog-tls"
    )
    assert mount == {"name": "syslog-tls", "mountPath": TLS_CONTAINER_DIR, "readOnly": True}


# ---- Services and the NetworkPolicy -----------------------------------------------------------


def test_services_and_ports(built: Build) -> None:
    cfg = built.config
    for service in built.kind("Service"):
        for port in service["spec"]["ports"]:
            assert 9600 not in (port["port"], port.get("targetPort"))
    for container in built.pod["spec"]["containers"]:
        assert 9600 not in [p["containerPort"] for p in container.get("ports", [])]
    syslog = built.one("Service", "stashkit-syslog")["spec"]
    expected = [("syslog-tcp", cfg.syslog_port, "TCP"), ("syslog-udp", cfg.syslog_port, "UDP")]
    if cfg.tls.enabled:
        expected.append(("syslog-tls", cfg.tls.port, "TCP"))
    assert [(p["name"], p["port"], p["protocol"]) for p in syslog["ports"]] == expected
    assert all(p["targetPort"] == p["name"] for p in syslog["ports"])
    logstash_ports = {p["name"]: p["containerPort"] for p in built.container("logstash")["ports"]}
    assert logstash_ports == {name: port for name, port, _ in expected}
    assert syslog["type"] == "LoadBalancer"
    assert syslog["loadBalancerSourceRanges"] == list(cfg.kubernetes.syslog_source_cidrs)
    headless = built.one("Service", "stashkit-logstash")["spec"]
    assert headless["clusterIP"] == "None"
    assert [(p["port"], p["targetPort"]) for p in headless["ports"]] == [(cfg.sidecar_port, "http")]
    sts = built.one("StatefulSet", "stashkit-logstash")["spec"]
    assert sts["serviceName"] == "stashkit-logstash"
    assert sts["replicas"] == cfg.kubernetes.replicas


def test_load_balancer_annotations(built: Build) -> None:
    service = built.one("Service", "stashkit-syslog")
    notes = service["metadata"]["annotations"]
    if built.overlay == "aws-nlb":
        prefix = "service.beta.kubernetes.io/aws-load-balancer-"
        assert service["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"
        assert notes[prefix + "scheme"] == "internal"
        assert notes[prefix + "nlb-target-type"] == "ip"
        assert notes[prefix + "healthcheck-port"] == "3001"
        assert notes[prefix + "healthcheck-path"] == "/api/health"
        assert notes[prefix + "healthcheck-protocol"] == "HTTP"
        assert "preserve_client_ip.enabled=true" in notes[prefix + "target-group-attributes"]
    else:
        assert notes["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
        assert service["spec"]["externalTrafficPolicy"] == "Local"


def test_network_policy(built: Build) -> None:
    cfg = built.config
    policy = built.one("NetworkPolicy", "stashkit-logstash")["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["podSelector"]["matchLabels"].items() <= built.pod["metadata"]["labels"].items()
    syslog, sidecar, healthz = policy["ingress"]
    assert syslog["from"] == [{"ipBlock": {"cidr": c}} for c in cfg.kubernetes.syslog_source_cidrs]
    expected = [("TCP", cfg.syslog_port), ("UDP", cfg.syslog_port)]
    if cfg.tls.enabled:
        expected.append(("TCP", cfg.tls.port))
    assert [(p["protocol"], p["port"]) for p in syslog["ports"]] == expected
    assert sidecar["from"] == [
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": cfg.kubernetes.monitoring_namespace}
            }
        }
    ]
    assert sidecar["ports"] == [{"protocol": "TCP", "port": cfg.sidecar_port}]
    assert healthz == {"ports": [{"protocol": "TCP", "port": 3001}]}
    assert "9600" not in yaml.safe_dump(policy)


# ---- the rendered pipeline and settings -------------------------------------------------------


def test_rendered_pipeline_is_in_the_configmap_logstash_mounts(built: Build) -> None:
    pipeline = built.configmap("stashkit-pipeline-")
    assert pipeline["data"] == {"logstash.conf": RENDERER.pipeline(built.config)}
    assert built.volume("pipeline")["configMap"]["name"] == pipeline["metadata"]["name"]
    mount = next(m for m in built.container("logstash")["volumeMounts"] if m["name"] == "pipeline")
    assert mount == {
        "name": "pipeline",
        "mountPath": "/usr/share/logstash/pipeline",
        "readOnly": True,
    }
    assert f"port => {built.config.syslog_port}" in pipeline["data"]["logstash.conf"]


def test_settings_arrive_verbatim(built: Build) -> None:
    cfg = built.config
    logstash_env = built.configmap("stashkit-logstash-env-")
    refs = [e["configMapRef"]["name"] for e in built.container("logstash")["envFrom"]]
    assert refs == [logstash_env["metadata"]["name"]]
    assert logstash_env["data"]["LOG_PROFILE"] == cfg.log_profile
    for name, value in cfg.destination.items():
        assert logstash_env["data"][name] == value  # HOSTILE included: quotes, $, #, spaces
    sidecar_env = built.configmap("stashkit-sidecar-env-")["data"]
    assert sidecar_env["PORT"] == str(cfg.sidecar_port)
    assert sidecar_env["LOG_PROFILE"] == cfg.log_profile
    assert sidecar_env["DESTINATION_LABEL"]


# ---- render errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sidecar_image": ""}, "the kubernetes target needs the sidecar"),
        ({"sidecar_port": 3001}, "sidecar_port must not be 3001"),
        ({"kubernetes": {}}, "needs kubernetes.syslog_source_cidrs"),
    ],
)
def test_render_should_refuse_what_the_target_cannot_run(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        render_kubernetes(config(**overrides), output_dir=tmp_path, renderer=RENDERER)
    assert message in caught.value.message
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"syslog_source_cidrs": ["10.0.0.1/8"]}, "is not a CIDR block"),
        ({"syslog_source_cidrs": "10.0.0.0/8"}, "must be an array of CIDR strings"),
        ({"monitoring_namespace": "Monitoring"}, "is not a namespace name"),
        ({"replicas": 0}, "kubernetes.replicas must be a whole number"),
        ({"namespace": "x"}, "unknown setting 'kubernetes.namespace'"),
    ],
)
def test_kubernetes_table_should_be_validated(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(kubernetes=table)
    assert message in caught.value.message


def test_a_line_break_in_a_setting_should_fail_the_render(tmp_path: Path) -> None:
    broken = config(destination={"SPLUNK_ADDRESS": "https://a\nEVIL=1"})
    with pytest.raises(RenderError) as caught:
        render_kubernetes(broken, output_dir=tmp_path, renderer=RENDERER)
    assert "SPLUNK_ADDRESS contains a line break" in caught.value.message


def test_render_command_should_write_the_component(tmp_path: Path) -> None:
    path = tmp_path / "stashkit.toml"
    path.write_text(
        'output_type = "splunk-hec"\n'
        'sidecar_image = "ghcr.io/example/stashkit-sidecar:0.1.0"\n'
        "[destination]\n"
        'SPLUNK_ADDRESS = "https://splunk.example.com"\n'
        "[kubernetes]\n"
        'syslog_source_cidrs = ["10.0.0.0/8"]\n'
    )
    out = tmp_path / "rendered"
    result = cli("render", "kubernetes", "--config", str(path), "--output-dir", str(out))
    assert result.code == 0, result.err
    assert result.out.startswith("rendered kubernetes (splunk-hec): pipeline.conf, ")
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == [
        "kustomization.yaml",
        "load-balancer/kustomization.yaml",
        "logstash.env",
        "pipeline.conf",
        "sidecar.env",
    ]
    path.write_text(path.read_text().replace('["10.0.0.0/8"]', "[]"))
    refused = cli("render", "kubernetes", "--config", str(path), "--output-dir", str(out))
    assert refused.code == 2
    assert len(refused.err.splitlines()) == 1


# ---- the Logstash start script -----------------------------------------------------------------


@pytest.fixture
def start_script(tmp_path: Path) -> tuple[Path, Path]:
    entrypoint = tmp_path / "entrypoint"
    entrypoint.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" >args\nenv -0 >env\n')
    entrypoint.chmod(0o755)
    return SOURCE / "base" / "start-logstash.sh", entrypoint


def run_start(script: Path, entrypoint: Path, secrets: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), "--path.logs", "/var/log/logstash"],
        capture_output=True,
        text=True,
        cwd=entrypoint.parent,
        env={
            "PATH": "/usr/bin:/bin",
            "STASHKIT_SECRETS_FILE": str(secrets),
            "STASHKIT_LOGSTASH_ENTRYPOINT": str(entrypoint),
        },
        timeout=20,
    )


def test_start_script_should_load_secrets_literally(
    start_script: tuple[Path, Path], tmp_path: Path
) -> None:
    script, entrypoint = start_script
    secrets = tmp_path / "logstash-secrets.env"
    values = {
        "SPLUNK_HEC_AUTH": "abc $(touch pwned) `id` \"q\" 'q' ${HOME} #x",
        "ES_PASSWORD": "  spaced=and=equals  ",
    }
    secrets.write_text(
        "# comment\n\n" + "".join(f"{k}={v}\n" for k, v in values.items()) + "EMPTY=\r\n"
    )
    result = run_start(script, entrypoint, secrets)
    assert result.returncode == 0, result.stderr
    env = dict(
        item.split("=", 1) for item in (tmp_path / "env").read_text().split("\0") if "=" in item
    )
    for name, value in values.items():
        assert env[name] == value
    assert env["EMPTY"] == ""
    assert (tmp_path / "args").read_text() == "--path.logs\n/var/log/logstash\n"
    assert not (tmp_path / "pwned").exists()


def test_start_script_should_refuse_a_bad_line_without_showing_it(
    start_script: tuple[Path, Path], tmp_path: Path
) -> None:
    script, entrypoint = start_script
    secrets = tmp_path / "logstash-secrets.env"
    secrets.write_text("GOOD=1\nnot a line with secret-value-xyz\n")
    result = run_start(script, entrypoint, secrets)
    assert result.returncode == 64
    assert "line 2 is not NAME=value" in result.stderr
    assert "secret-value-xyz" not in result.stderr
    assert not (tmp_path / "env").exists()


def test_start_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run(
        [shellcheck, str(SOURCE / "base" / "start-logstash.sh")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
