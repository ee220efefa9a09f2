"""``stashkit discover --kubernetes`` and ``stashkit verify kubernetes`` against a fake
Kubernetes API server over HTTPS (a test CA, a kubeconfig as an operator has one), with real
sidecars on loopback as the pods' sidecars."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stashkit.cloud import Backoff, kube_client
from stashkit.discover import DiscoveryLoop
from stashkit.inventory import KubeWalker, read_file_sd
from stashkit.sidecar_auth import TOKEN_FILE_ENV
from tests.cli.support import Sidecar, cli, health
from tests.cli.token_sidecar import TokenSidecar, serve_token_sidecar
from tests.fakes.fake_kube import (
    FakeContainer,
    FakeKube,
    FakePod,
    FakeService,
    KubeEndpoint,
    serve_fake_kube,
    stashkit_pod,
    write_kubeconfig,
)
from tests.support.servers import free_port

NS = "stashkit"
FAST = ("--timeout", "1", "--interval", "0.2", "--http-timeout", "2")


@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KubeEndpoint]:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv(TOKEN_FILE_ENV, raising=False)
    with serve_fake_kube(FakeKube(), tmp_path) as endpoint:
        yield endpoint


def discover(
    kube: KubeEndpoint, out: Path, *extra: str
) -> tuple[int, str, list[dict[str, object]]]:
    result = cli(
        "discover", "--kubernetes", "--kubeconfig", str(kube.kubeconfig), "--out", str(out),
        "--once", *extra,
    )  # fmt: skip
    groups = json.loads(out.read_text()) if out.exists() else []
    return result.code, result.err, groups


# ---- discover ---------------------------------------------------------------------------------


def test_discover_should_list_every_running_pod_with_a_sidecar(
    kube: KubeEndpoint, tmp_path: Path
) -> None:
    kube.fake.add(
        NS,
        stashkit_pod("stashkit-logstash-0", ip="10.244.1.7", node="node-a"),
        stashkit_pod("stashkit-logstash-1", ip="10.244.2.9", node="node-b", ready=False),
        stashkit_pod("stashkit-logstash-2", ip=None, phase="Pending", unschedulable="0/3 nodes"),
        stashkit_pod("stashkit-logstash-3", ip="10.244.1.8", terminating=True),
        stashkit_pod("plain-logstash", ip="10.244.1.9", sidecar=False),
        stashkit_pod("other-app", ip="10.244.1.10", labels={"app": "other"}),
    )
    kube.fake.add("elsewhere", stashkit_pod("stashkit-logstash-0", ip="10.244.9.9"))
    code, err, groups = discover(kube, tmp_path / "targets.json")
    assert code == 0, err
    # Not-ready pods stay targets: Prometheus should see a Logstash in trouble.
    assert [g["targets"] for g in groups] == [["10.244.1.7:3000"], ["10.244.2.9:3000"]]
    assert groups[0]["labels"] == {
        "__metrics_path__": "/metrics",
        "cloud": "kubernetes",
        "deployment": NS,
        "job": "stashkit",
        "namespace": NS,
        "node": "node-a",
        "pod": "stashkit-logstash-0",
    }
    assert "kubernetes pods in stashkit" in err and "2 targets" in err
    selector = (
        "labelSelector=app.kubernetes.io%2Fname%3Dstashkit"
        "%2Capp.kubernetes.io%2Fcomponent%3Dlogstash"
    )
    assert any(selector in r for r in kube.fake.requests), kube.fake.requests
    assert [t.name for t in read_file_sd(tmp_path / "targets.json")] == [
        "stashkit-logstash-0",
        "stashkit-logstash-1",
    ]


def test_discover_should_use_the_declared_port_the_instance_label_and_the_selector(
    kube: KubeEndpoint, tmp_path: Path
) -> None:
    labels = {"app": "edge-logstash", "app.kubernetes.io/instance": "edge"}
    kube.fake.add(
        "logs",
        stashkit_pod("edge-0", ip="fd00::5", sidecar_port=8080, labels=labels),
        stashkit_pod("stashkit-logstash-0", ip="10.1.1.1"),
    )
    code, err, groups = discover(
        kube, tmp_path / "t.json", "--namespace", "logs", "--selector", "app=edge-logstash",
        "--job", "logs",
    )  # fmt: skip
    assert code == 0, err
    assert [g["targets"] for g in groups] == [["[fd00::5]:8080"]]
    assert groups[0]["labels"]["deployment"] == "edge"
    assert groups[0]["labels"]["job"] == "logs"


def test_discover_should_follow_the_pages_of_a_large_namespace(
    kube: KubeEndpoint, tmp_path: Path
) -> None:
    kube.fake.add(
        NS, *[stashkit_pod(f"p-{n:03}", ip=f"10.0.{n // 250}.{n % 250}") for n in range(260)]
    )
    code, err, groups = discover(kube, tmp_path / "t.json")
    assert code == 0, err
    assert len(groups) == 260
    pages = [r for r in kube.fake.requests if r.startswith(f"GET /api/v1/namespaces/{NS}/pods?")]
    assert len(pages) == 2
    assert "limit=250" in pages[0] and "continue=250" in pages[1]


def test_discover_should_report_rbac_refusal_in_one_line(
    kube: KubeEndpoint, tmp_path: Path
) -> None:
    kube.fake.forbidden.add(NS)
    code, err, groups = discover(kube, tmp_path / "t.json")
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last == (
        "stashkit: discover failed: Kubernetes: Forbidden (HTTP 403): pods is forbidden: User "
        '"stashkit-test" cannot list resource "pods" in API group "" in the namespace "stashkit"'
    )
    assert groups == []  # written empty: never a half-known list


def test_discover_should_retry_a_failing_api_server_with_backoff(kube: KubeEndpoint) -> None:
    kube.fake.add(NS, stashkit_pod("stashkit-logstash-0", ip="10.244.1.7"))
    kube.fake.fail_next(2, 503)
    sleeps: list[float] = []
    lines: list[str] = []
    source = KubeWalker(lambda: kube_client(kube.kubeconfig), NS)
    loop = DiscoveryLoop(
        [source],
        kube.kubeconfig.parent / "t.json",
        backoff=Backoff(attempts=4, base=1.0, factor=2.0, jitter=0.0),
        sleep=lambda s: sleeps.append(s) is None,
        log=lines.append,
    )
    report = loop.run(once=True)
    assert report.ok, report.failures
    assert report.targets == 1
    assert sleeps == [1.0, 2.0]
    assert "Kubernetes: Service Unavailable (HTTP 503): injected failure; retry 1/3" in lines[0]


def test_discover_should_refuse_a_wrong_token_and_a_missing_kubeconfig(
    kube: KubeEndpoint, tmp_path: Path
) -> None:
    write_kubeconfig(kube.kubeconfig, kube.url, kube.ca_file, token="stale")
    code, err, _ = discover(kube, tmp_path / "t.json")
    assert code == 1
    assert err.strip().endswith("Kubernetes: Unauthorized (HTTP 401): Unauthorized")
    missing = cli(
        "discover", "--kubernetes", "--kubeconfig", str(tmp_path / "nope"),
        "--out", str(tmp_path / "t.json"), "--once",
    )  # fmt: skip
    assert missing.code == 1
    assert "no usable Kubernetes credentials" in missing.err
    assert len(missing.err.strip().splitlines()) == 1


def test_kubeconfig_environment_variable_should_be_honoured(
    kube: KubeEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube.fake.add(NS, stashkit_pod("stashkit-logstash-0", ip="10.244.1.7"))
    monkeypatch.setenv("KUBECONFIG", str(kube.kubeconfig))
    out = tmp_path / "t.json"
    result = cli("discover", "--kubernetes", "--out", str(out), "--once")
    assert result.code == 0, result.err
    assert len(read_file_sd(out)) == 1


# ---- verify -----------------------------------------------------------------------------------


def verify(kube: KubeEndpoint, *extra: str) -> tuple[int, str, str]:
    result = cli("verify", "kubernetes", "--kubeconfig", str(kube.kubeconfig), *FAST, *extra)
    return result.code, result.out, result.err


def serving_pods(kube: KubeEndpoint, sidecars: list[Sidecar]) -> None:
    # The real sidecars answer /api/health on their one port: it stands for the health port.
    # The full port (named http) is closed: the proxied check must use the health port.
    closed = free_port()
    kube.fake.add(
        NS,
        *[
            stashkit_pod(f"stashkit-logstash-{n}", sidecar_port=closed, health_port=s.port)
            for n, s in enumerate(sidecars)
        ],
    )
    kube.fake.add_service(NS, FakeService("stashkit-syslog", ingress=[{"hostname": "nlb.example"}]))


def test_verify_should_pass_when_every_pod_is_ready_and_every_sidecar_healthy(
    kube: KubeEndpoint, sidecars: list[Sidecar]
) -> None:
    serving_pods(kube, sidecars[:2])
    code, out, err = verify(kube, "--json")
    assert code == 0, err
    document = json.loads(out)
    checks = {(c["kind"], c["name"]): c for c in document["checks"]}
    pod = checks[("pod", "stashkit-logstash-0")]
    assert pod["ok"] and pod["state"] == "Running, Ready"
    assert "logstash running, restarts 0" in pod["detail"]
    assert "status-sidecar running, restarts 0" in pod["detail"]
    assert checks[("sidecar", "stashkit-logstash-1")]["state"] == "healthy 200"
    service = checks[("service", "stashkit-syslog")]
    assert service["ok"] and service["detail"] == "nlb.example 5000/TCP, 5000/UDP"
    # Health went through the API server's pod proxy, on the pod's health port.
    proxied = (
        f"GET /api/v1/namespaces/{NS}/pods/stashkit-logstash-0:{sidecars[0].port}/proxy/api/health"
    )
    assert any(r.startswith(proxied) for r in kube.fake.requests), kube.fake.requests


def test_verify_should_fail_with_the_sidecars_reasons_and_the_containers_trouble(
    kube: KubeEndpoint, sidecars: list[Sidecar]
) -> None:
    red = sidecars[2]
    reason = health(red.url)["reasons"][0]
    crashing = stashkit_pod("stashkit-logstash-1", ready=False)
    crashing.containers[0] = FakeContainer(
        "logstash", state="waiting", reason="CrashLoopBackOff", ready=False, restarts=4,
        last_exit=("OOMKilled", 137),
    )  # fmt: skip
    kube.fake.add(
        NS,
        stashkit_pod(
            "stashkit-logstash-0", sidecar_port=red.port, health_port=red.port, ready=False
        ),
        crashing,
        stashkit_pod("stashkit-logstash-2", terminating=True),
    )
    kube.fake.add_service(NS, FakeService("stashkit-syslog"))
    code, out, err = verify(kube)
    assert code == 1
    sidecar_rows = [line for line in out.splitlines() if line.startswith("sidecar")]
    assert any("unhealthy 503" in line and reason in line for line in sidecar_rows)
    crash = next(line for line in out.splitlines() if line.startswith("pod") and "-1 " in line)
    assert "Running, not Ready" in crash
    assert "logstash waiting (CrashLoopBackOff), restarts 4 (last: OOMKilled 137)" in crash
    leaving = next(line for line in out.splitlines() if "stashkit-logstash-2" in line)
    assert "terminating" in leaving and " yes " in leaving
    assert "LoadBalancer pending" in out
    assert "stashkit: kubernetes not serving" in err and reason in err


def test_verify_should_say_when_the_api_server_cannot_reach_a_pod(kube: KubeEndpoint) -> None:
    closed = free_port()
    kube.fake.add(NS, stashkit_pod("stashkit-logstash-0", sidecar_port=closed, health_port=closed))
    code, out, _ = verify(kube, "--service", "")
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("sidecar"))
    assert "unreachable" in row
    assert "Kubernetes: Service Unavailable (HTTP 503): error trying to reach service" in row


def test_verify_should_fail_when_no_pod_matches(kube: KubeEndpoint) -> None:
    code, out, err = verify(kube, "--namespace", "empty", "--service", "")
    assert code == 1
    assert "no pods match the selector" in out
    assert "pods empty (app.kubernetes.io/name=stashkit" in err


def test_verify_direct_should_ask_the_pod_ip_with_the_token(
    kube: KubeEndpoint, tmp_path: Path
) -> None:
    sidecar = TokenSidecar({"kube-token-123"})
    token = tmp_path / "token"
    token.write_text("kube-token-123\n")
    with serve_token_sidecar(sidecar) as url:
        port = int(url.rsplit(":", 1)[1])
        kube.fake.add(NS, stashkit_pod("stashkit-logstash-0", sidecar_port=port, health_port=1))
        code, out, err = verify(kube, "--direct", "--service", "", "--token-file", str(token))
    assert code == 0, err
    assert sidecar.headers_for("/api/health") == ["Bearer kube-token-123"]
    assert not any("/proxy/" in r for r in kube.fake.requests)
    assert "kube-token-123" not in out + err


def test_verify_send_samples_needs_direct_access(kube: KubeEndpoint) -> None:
    code, _, err = verify(kube, "--send-samples")
    assert code == 2
    assert "--send-samples on kubernetes reads every sidecar's /api/stats: pass --direct" in err


def test_pod_without_a_sidecar_is_ready_but_cannot_be_asked(kube: KubeEndpoint) -> None:
    kube.fake.add(NS, FakePod("bare", [FakeContainer("logstash")]))
    code, out, _ = verify(kube, "--service", "")
    assert code == 1
    assert "no sidecars found to ask" in out
