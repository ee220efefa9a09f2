"""``stashkit build-push``: build an image with the docker CLI and push it to ECR, ACR or GHCR.

Images (``--image``):

* ``sidecar`` (default): ``sidecar/Dockerfile``, context ``sidecar/``;
* ``logstash-<output type>``: ``templates/logstash/Dockerfile`` with ``LOGSTASH_PLUGINS`` = the
  plugins the catalog names for that output type (``OutputType.logstash_plugins``), each pinned to
  :data:`PLUGIN_VERSIONS`, and ``LOGSTASH_VERSION``. Output types without extra plugins run the
  stock image: there is nothing to build.

Tags: ``TAG`` and, with ``--also-tag-sha``, ``sha-<git short SHA>`` (``<Logstash version>-sha-...``
for Logstash images), the same form as the CI workflow (ci/workflows/build-push.yml). The SHA tag
must name what was built, so it is refused when the image's build context has uncommitted changes.

The order is: check everything that can be checked locally, log in (fails fast, before a long
build), build, push, print the reference of ``TAG`` on stdout (what ``render`` accepts as
``sidecar_image`` / ``logstash_image``).
"""

from __future__ import annotations

import re
import subprocess
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from status_sidecar.catalog import Catalog, default_catalog

from .config import DEFAULT_LOGSTASH_VERSION
from .docker_cli import DockerCli
from .errors import StashkitError, UsageError
from .progress import Progress
from .registries import Registry

__all__ = [
    "DEFAULT_PLATFORM",
    "PLUGIN_VERSIONS",
    "BuildPush",
    "BuildPushRequest",
    "ImageSpec",
    "Pushed",
    "git_short_sha",
    "image_names",
    "image_spec",
    "validate_platform",
    "validate_repository",
    "validate_tag",
]

DEFAULT_PLATFORM = "linux/amd64"

PLUGIN_VERSIONS: Mapping[str, str] = types.MappingProxyType(
    {
        # Pinned versions of the plugins OutputType.logstash_plugins names; the same pins as the
        # CI workflow's matrix (tests/cli checks both against the catalog).
        "microsoft-sentinel-log-analytics-logstash-output-plugin": "1.1.4",
        "logstash-output-zabbix": "3.0.5",
    }
)

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?")
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


def validate_tag(tag: str) -> str:
    if not _TAG.fullmatch(tag):
        raise UsageError(f"{tag!r} is not an image tag (letters, digits, _ . -; at most 128)")
    return tag


def validate_repository(name: str) -> str:
    if len(name) > 255 or not _REPOSITORY.fullmatch(name):
        raise UsageError(
            f"{name!r} is not a repository name (lower case letters, digits, separators . _ -, "
            "path components separated by /)"
        )
    return name


def validate_platform(platform: str) -> str:
    if not _PLATFORM.fullmatch(platform):
        raise UsageError(f"{platform!r} is not one platform such as linux/amd64")
    return platform


@dataclass(frozen=True)
class ImageSpec:
    """What to build for one ``--image``."""

    name: str
    context: Path
    dockerfile: Path
    build_args: Mapping[str, str]
    sha_prefix: str
    """Put before ``sha-<short SHA>``: the Logstash version for Logstash images."""


def image_names(catalog: Catalog | None = None) -> tuple[str, ...]:
    """Every ``--image`` value: ``sidecar`` and ``logstash-<output>`` for outputs with plugins."""
    catalog = catalog or default_catalog()
    plugin_images = [
        f"logstash-{key}" for key, out in catalog.output_types.items() if not out.uses_stock_image
    ]
    return ("sidecar", *plugin_images)


def image_spec(
    image: str,
    source: Path,
    *,
    tag: str,
    logstash_version: str = DEFAULT_LOGSTASH_VERSION,
    catalog: Catalog | None = None,
) -> ImageSpec:
    """The build of ``image`` from the checkout at ``source``."""
    catalog = catalog or default_catalog()
    if image == "sidecar":
        context = source / "sidecar"
        spec = ImageSpec(
            "sidecar", context, context / "Dockerfile", {"IMAGE_VERSION": tag}, sha_prefix=""
        )
    elif image.startswith("logstash-"):
        key = image.removeprefix("logstash-")
        output_type = catalog.output_types.get(key)
        if output_type is None:
            raise UsageError(f"--image {image}: unknown output type {key!r}")
        if output_type.uses_stock_image:
            raise UsageError(
                f"--image {image}: output type {key} runs the stock Logstash image; "
                "there is nothing to build"
            )
        if not _VERSION.fullmatch(logstash_version):
            raise UsageError(f"--logstash-version {logstash_version!r} is not X.Y.Z")
        unpinned = [p for p in output_type.logstash_plugins if p not in PLUGIN_VERSIONS]
        if unpinned:
            raise StashkitError(f"no pinned version for Logstash plugin {unpinned[0]}")
        plugins = " ".join(f"{p}:{PLUGIN_VERSIONS[p]}" for p in output_type.logstash_plugins)
        context = source / "templates" / "logstash"
        spec = ImageSpec(
            image,
            context,
            context / "Dockerfile",
            {"LOGSTASH_VERSION": logstash_version, "LOGSTASH_PLUGINS": plugins},
            sha_prefix=f"{logstash_version}-",
        )
    else:
        raise UsageError(f"--image {image}: expected one of {', '.join(image_names(catalog))}")
    if not spec.dockerfile.is_file():
        raise UsageError(
            f"{spec.dockerfile} not found: run from a stashkit checkout or pass --source"
        )
    return spec


def _git(source: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(source), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--also-tag-sha: cannot run git: {exc}") from exc
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"--also-tag-sha: {source} is not usable as a git checkout: {reason}")
    return result.stdout


def git_short_sha(source: Path, context: Path) -> str:
    """HEAD's short SHA; refused when ``context`` (the build context) has uncommitted changes."""
    sha = _git(source, "rev-parse", "--short=7", "HEAD").strip()
    dirty = _git(source, "status", "--porcelain", "--", str(context))
    if dirty.strip():
        raise UsageError(
            f"--also-tag-sha: {context} has uncommitted changes; commit them first "
            f"(the tag must name what was built)"
        )
    return sha


@dataclass(frozen=True)
class BuildPushRequest:
    repository: str
    tag: str
    image: str = "sidecar"
    source: Path = Path()
    also_tag_sha: bool = False
    platform: str = DEFAULT_PLATFORM
    create_repository: bool = False
    logstash_version: str = DEFAULT_LOGSTASH_VERSION


@dataclass(frozen=True)
class Pushed:
    """The pushed references; ``image`` is the one of ``TAG``."""

    image: str
    references: tuple[str, ...]
    tags: tuple[str, ...]
    registry: str
    server: str


class BuildPush:
    """Builds and pushes one image; receives its registry and docker CLI (tests pass fakes)."""

    def __init__(
        self,
        registry: Registry,
        docker: DockerCli,
        progress: Progress,
        *,
        catalog: Catalog | None = None,
    ) -> None:
        self.registry = registry
        self.docker = docker
        self.progress = progress
        self.catalog = catalog or default_catalog()

    def run(self, request: BuildPushRequest) -> Pushed:
        validate_repository(request.repository)
        validate_tag(request.tag)
        validate_platform(request.platform)
        spec = image_spec(
            request.image,
            request.source,
            tag=request.tag,
            logstash_version=request.logstash_version,
            catalog=self.catalog,
        )
        tags = [request.tag]
        if request.also_tag_sha:
            sha_tag = validate_tag(
                f"{spec.sha_prefix}sha-{git_short_sha(request.source, spec.context)}"
            )
            if sha_tag != request.tag:
                tags.append(sha_tag)
        self.docker.require()  # before any cloud call

        with self.progress.step(f"{self.registry.label}: prepare {request.repository}"):
            login = self.registry.prepare(request.repository, create=request.create_repository)
        if login.note:
            self.progress.line(login.note)
        with self.progress.step(f"docker login {login.server}"):
            self.docker.login(login.server, login.username, login.password)

        references = tuple(f"{login.repository}:{tag}" for tag in tags)
        with self.progress.step(f"docker build {spec.name} ({request.platform})", live=True):
            self.docker.build(
                spec.context,
                dockerfile=spec.dockerfile,
                tags=references,
                platform=request.platform,
                build_args=spec.build_args,
            )
        for reference in references:
            with self.progress.step(f"docker push {reference}", live=True):
                self.docker.push(reference)
        return Pushed(
            image=references[0],
            references=references,
            tags=tuple(tags),
            registry=self.registry.label.lower(),
            server=login.server,
        )
