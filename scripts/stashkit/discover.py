"""Find every running sidecar and keep a Prometheus ``file_sd`` file up to date.

Sources (an Auto Scaling group, an Azure resource group's container groups) each answer
``discover() -> list[Target]``; :class:`DiscoveryLoop` runs them every ``interval`` seconds,
retries transient cloud errors with backoff, keeps the last good answer of a source whose cycle
failed (a failed API call must not make Prometheus forget every target), writes the file only
when its content changed, and stops promptly when asked.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .cloud import (
    Backoff,
    Sleep,
    boto3_client_config,
    call_with_backoff,
    describe_error,
)
from .errors import CloudError, Stopped
from .file_sd import METRICS_PATH, Target, render_file_sd, write_if_changed

if TYPE_CHECKING:
    import boto3
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient

__all__ = [
    "DEPLOYMENT_TAG",
    "SIDECAR_CONTAINER",
    "AciSource",
    "AsgSource",
    "CycleReport",
    "DiscoveryLoop",
    "Source",
]

DEPLOYMENT_TAG = "stashkit:deployment"
"""Tag the deployments put on every resource (the ``name`` variable); labels ``deployment``."""

SIDECAR_CONTAINER = "status-sidecar"
"""Name of the sidecar container in an ACI container group (deployments/azure-aci)."""


class Source(Protocol):
    @property
    def description(self) -> str: ...

    def discover(self) -> list[Target]: ...


def labels_for(job: str, deployment: str, cloud: str, **extra: str) -> dict[str, str]:
    """The target labels every source gives: job, deployment, cloud, the metrics path, extras."""
    return {
        "job": job,
        "deployment": deployment,
        "cloud": cloud,
        "__metrics_path__": METRICS_PATH,
        **extra,
    }


class AsgSource:
    """The running instances of one Auto Scaling group, at ``private_ip:port``."""

    def __init__(
        self,
        session_factory: Callable[[str | None], boto3.session.Session],
        group: str,
        *,
        region: str | None = None,
        port: int = 3000,
        job: str = "stashkit",
        deployment: str | None = None,
    ) -> None:
        self.group = group
        self.port = port
        self.job = job
        self.deployment = deployment
        self._session = session_factory(region)
        self.region: str = self._session.region_name or ""
        if not self.region:
            raise CloudError("no AWS region: pass --region or set AWS_REGION")
        config = boto3_client_config()
        self._autoscaling: Any = self._session.client("autoscaling", config=config)
        self._ec2: Any = self._session.client("ec2", config=config)

    @property
    def description(self) -> str:
        return f"aws asg {self.group} ({self.region})"

    def discover(self) -> list[Target]:
        groups = self._autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])[
            "AutoScalingGroups"
        ]
        if not groups:
            raise CloudError(f"no Auto Scaling group named {self.group!r} in {self.region}")
        group = groups[0]
        members = {i["InstanceId"] for i in group.get("Instances", [])}
        tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        deployment = self.deployment or tags.get(DEPLOYMENT_TAG) or self.group
        targets = []
        pages = self._ec2.get_paginator("describe_instances").paginate(
            Filters=[
                {"Name": "tag:aws:autoscaling:groupName", "Values": [self.group]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )
        for page in pages:
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    ip = instance.get("PrivateIpAddress")
                    # Detached instances keep the group's tag: membership decides.
                    if not ip or instance["InstanceId"] not in members:
                        continue
                    labels = labels_for(
                        self.job,
                        deployment,
                        "aws",
                        region=self.region,
                        instance_id=instance["InstanceId"],
                        asg=self.group,
                    )
                    targets.append(Target.of(f"{ip}:{self.port}", labels))
        return targets


class AciSource:
    """Running container groups of one resource group that have a sidecar container.

    The port is the sidecar container's declared port (``sidecar_port`` in Terraform). Groups
    without a sidecar container, with an unpublished sidecar, without an IP address or not
    ``Running`` are not targets (they are counted in :attr:`skipped`, with the reason).
    """

    def __init__(
        self,
        client_factory: Callable[[str], ContainerInstanceManagementClient],
        subscription: str,
        resource_group: str,
        *,
        port: int = 3000,
        job: str = "stashkit",
        deployment: str | None = None,
        sidecar_container: str = SIDECAR_CONTAINER,
    ) -> None:
        self.subscription = subscription
        self.resource_group = resource_group
        self.port = port
        self.job = job
        self.deployment = deployment
        self.sidecar_container = sidecar_container
        self._client = client_factory(subscription)
        self.skipped: dict[str, str] = {}

    @property
    def description(self) -> str:
        return f"azure resource group {self.resource_group}"

    def discover(self) -> list[Target]:
        targets = []
        self.skipped = {}
        groups = self._client.container_groups
        for listed in groups.list_by_resource_group(self.resource_group):
            name = listed.name or ""
            # The list omits instance views: ask for each group.
            group = groups.get(self.resource_group, name)
            target, why = self._target(group)
            if target is None:
                self.skipped[name] = why
            else:
                targets.append(target)
        return targets

    def _target(self, group: Any) -> tuple[Target | None, str]:
        # ``group`` is a ContainerGroup; typed Any because the SDK declares the server-populated
        # attributes (instance_view, restart_count, ...) as ``= None``, so mypy thinks them None.
        state = group.instance_view.state if group.instance_view is not None else None
        if state != "Running":
            return None, f"state {state or 'unknown'}"
        sidecar = next((c for c in group.containers if c.name == self.sidecar_container), None)
        if sidecar is None:
            return None, f"no {self.sidecar_container} container"
        ip = group.ip_address.ip if group.ip_address is not None else None
        if not ip:
            return None, "no IP address"
        ports = [p.port for p in (sidecar.ports or []) if (p.protocol or "TCP").upper() == "TCP"]
        if not ports:
            # publish_sidecar = false: the sidecar answers inside the group only (its probes),
            # so nothing outside can scrape it; a target there would only ever be down.
            return None, "sidecar not published (publish_sidecar = false)"
        port = ports[0]
        tags = group.tags or {}
        labels = labels_for(
            self.job,
            self.deployment or tags.get(DEPLOYMENT_TAG) or self.resource_group,
            "azure",
            location=group.location or "",
            container_group=group.name or "",
            resource_group=self.resource_group,
        )
        return Target.of(f"{ip}:{port}", labels), ""


@dataclass
class CycleReport:
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    targets: int = 0
    written: bool = False
    write_error: str | None = None
    kept: list[str] = field(default_factory=list)
    """Failed sources whose targets from an earlier cycle stay in the file."""

    @property
    def ok(self) -> bool:
        return not self.failures and self.write_error is None


class DiscoveryLoop:
    """Runs the sources every ``interval`` seconds and keeps ``out`` up to date."""

    def __init__(
        self,
        sources: Sequence[Source],
        out: Path,
        *,
        interval: float = 30.0,
        backoff: Backoff | None = None,
        sleep: Sleep,
        log: Callable[[str], None],
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sources = list(sources)
        self.out = out
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.log = log
        self.rand = rand
        self.clock = clock
        self.cycles = 0
        self._last_good: dict[int, list[Target]] = {}

    def cycle(self) -> CycleReport:
        """One pass over every source, then write the file if the content changed."""
        self.cycles += 1
        report = CycleReport()
        for index, source in enumerate(self.sources):
            try:
                found = call_with_backoff(
                    source.discover,
                    what=source.description,
                    backoff=self.backoff,
                    sleep=self.sleep,
                    log=self.log,
                    rand=self.rand,
                )
            except Stopped:
                raise
            except Exception as exc:  # one source failing must not end the loop
                report.failures[source.description] = describe_error(exc)
                if index in self._last_good:
                    report.kept.append(source.description)
                continue
            self._last_good[index] = found
            report.counts[source.description] = len(found)
        targets = [t for found in self._last_good.values() for t in found]
        report.targets = len(set(targets))
        try:
            report.written = write_if_changed(self.out, render_file_sd(targets))
        except OSError as exc:
            report.write_error = f"cannot write {self.out}: {exc.strerror or exc}"
        self.log(self._summary(report))
        return report

    def _summary(self, report: CycleReport) -> str:
        parts = [f"{what}: {n} target{'s' if n != 1 else ''}" for what, n in report.counts.items()]
        parts += [f"{what}: FAILED ({why})" for what, why in report.failures.items()]
        if report.write_error:
            outcome = report.write_error
        elif report.written:
            outcome = f"wrote {self.out} ({report.targets} targets)"
        else:
            outcome = f"{self.out} unchanged ({report.targets} targets)"
        if report.kept:
            outcome += f", keeping the last good targets of {', '.join(report.kept)}"
        return f"cycle {self.cycles}: " + "; ".join([*parts, outcome])

    def run(self, *, once: bool = False, max_cycles: int | None = None) -> CycleReport:
        """Cycle until stopped (``sleep`` returns False), ``once``, or ``max_cycles``.

        Returns the last cycle's report. A :class:`Stopped` during a retry ends the loop too.
        """
        report = CycleReport()
        while True:
            started = self.clock()
            try:
                report = self.cycle()
            except Stopped:
                return report
            if once or (max_cycles is not None and self.cycles >= max_cycles):
                return report
            remaining = max(self.interval - (self.clock() - started), 0.0)
            if not self.sleep(remaining):
                return report


def describe_sources(sources: Iterable[Source]) -> str:
    return ", ".join(s.description for s in sources)
