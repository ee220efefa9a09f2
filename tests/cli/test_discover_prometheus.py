"""The real test of ``stashkit discover``: a real Prometheus (Debian's) reads the file_sd file it
wrote and scrapes two real sidecars (against the fake Logstash) through it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stashkit import cloud
from tests.cli.support import Sidecar, cli
from tests.fakes.fake_arm import ArmEndpoint, stashkit_group
from tests.support.servers import free_port, wait_until

pytestmark = pytest.mark.real


@pytest.fixture
def prometheus_bin() -> str:
    path = shutil.which("prometheus")
    if path is None:
        pytest.skip("prometheus is not installed (ci/install-system-deps.sh installs it)")
    return path


@pytest.fixture
def prometheus(prometheus_bin: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Prometheus on 127.0.0.1 with a file_sd job on ``targets.json``; yields (url, that file)."""
    targets = tmp_path / "targets.json"
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: stashkit-file-sd\n"
        "    file_sd_configs:\n"
        f"      - files: ['{targets}']\n"
        "        refresh_interval: 1s\n"
    )
    port = free_port()
    log = tmp_path / "prometheus.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                prometheus_bin,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()[-2000:]
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, 20, "prometheus did not become ready")
        yield url, targets
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def active_targets(url: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{url}/api/v1/targets", params={"state": "active"}, timeout=2).json()
    targets: list[dict[str, Any]] = body["data"]["activeTargets"]
    return targets


def test_prometheus_should_scrape_the_sidecars_discover_found(
    prometheus: tuple[str, Path],
    arm: ArmEndpoint,
    arm_factories: cloud.Factories,
    sidecars: list[Sidecar],
) -> None:
    prom_url, targets_file = prometheus
    # Both container groups on loopback; each declares its sidecar's real port.
    arm.fake.add(
        "stashkit-rg",
        *[
            stashkit_group(
                f"edge-{n}-logstash", ip="127.0.0.1", sidecar_port=s.port, deployment="edge"
            )
            for n, s in enumerate(sidecars[:2])
        ],
    )
    result = cli(
        "discover", "--azure-resource-group", "stashkit-rg", "--out", str(targets_file),
        "--once",
    )  # fmt: skip
    assert result.code == 0, result.err

    def both_up() -> list[dict[str, Any]]:
        found = active_targets(prom_url)
        up = [t for t in found if t["health"] == "up"]
        return up if len(up) == 2 else []

    try:
        wait_until(lambda: bool(both_up()), 30, "prometheus did not scrape both sidecars")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {active_targets(prom_url)}") from None
    found = both_up()
    assert sorted(t["scrapeUrl"] for t in found) == sorted(
        f"http://127.0.0.1:{s.port}/metrics" for s in sidecars[:2]
    )
    for target in found:
        labels = target["labels"]
        assert labels["job"] == "stashkit"
        assert labels["deployment"] == "edge"
        assert labels["cloud"] == "azure"
        assert labels["location"] == "westeurope"
        assert labels["container_group"].startswith("edge-")
        assert target["lastError"] == ""
