"""``stashkit build-push``: build the sidecar (or a Logstash-with-plugins) image and push it.

The command is thin: it builds a :class:`~stashkit.registries.Registry` and a
:class:`~stashkit.docker_cli.DockerCli` from the factories (``cloud.DEFAULT_FACTORIES``; tests
pass moto-backed clients, a fake Azure credential and an httpx mock transport) and runs
:class:`~stashkit.build_push.BuildPush`.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import cloud
from ..build_push import DEFAULT_PLATFORM, BuildPush, BuildPushRequest, image_names
from ..cloud import Factories
from ..config import DEFAULT_LOGSTASH_VERSION
from ..docker_cli import DockerCli
from ..errors import UsageError
from ..progress import Progress
from ..registries import REGISTRIES, AcrRegistry, EcrRegistry, GhcrRegistry, Registry
from ..render import REPO_ROOT
from . import add_command

_EXAMPLES = """\
examples:
  # the sidecar to ECR (repository created with scan on push and immutable tags)
  stashkit build-push --registry ecr --region eu-west-1 --repository stashkit/status-sidecar \\
      --tag 0.1.0 --also-tag-sha --create-repository

  # Logstash with the Zabbix output plugin, to ACR (Azure sign-in from the environment/az login)
  stashkit build-push --registry acr --server myregistry.azurecr.io \\
      --image logstash-zabbix --repository logstash-zabbix --tag 8.19.3-1

  # to GHCR with a token file
  stashkit build-push --registry ghcr --repository example/status-sidecar --tag 0.1.0 \\
      --username octocat --token-file ~/.config/ghcr-token

  # the reference for `render`: sidecar_image = "<printed reference>"
  IMAGE=$(stashkit build-push --registry ghcr --repository example/status-sidecar --tag 0.1.0)

credentials:
  ECR   boto3's usual chain (AWS_PROFILE, AWS_ACCESS_KEY_ID..., instance role)
  ACR   ACR_USERNAME + ACR_PASSWORD (or ACR_PASSWORD_FILE) admin credentials, else Azure AD
        (DefaultAzureCredential) exchanged for an ACR refresh token
  GHCR  --token-file FILE or GHCR_TOKEN; --username, GHCR_USERNAME or GITHUB_ACTOR
  Passwords reach `docker login` on its stdin (--password-stdin), never its command line.
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = add_command(
        subparsers,
        "build-push",
        summary="build the sidecar or a Logstash image with docker and push it to ECR, ACR or GHCR",
        description=textwrap.fill(
            "Build sidecar/Dockerfile (or templates/logstash/Dockerfile with the plugins an "
            "output type needs) with the docker CLI, log in to the registry, push TAG (and "
            "sha-<git short SHA> with --also-tag-sha) and print the pushed reference of TAG.",
            width=79,
        ),
        examples=_EXAMPLES,
    )
    parser.add_argument("--registry", required=True, choices=REGISTRIES)
    parser.add_argument(
        "--repository",
        required=True,
        metavar="NAME",
        help="repository name (GHCR: OWNER/NAME)",
    )
    parser.add_argument("--tag", required=True, metavar="TAG", help="the image tag to push")
    parser.add_argument(
        "--also-tag-sha",
        action="store_true",
        help="also tag sha-<git short SHA> (refused when the build context has uncommitted "
        "changes)",
    )
    parser.add_argument(
        "--platform",
        default=DEFAULT_PLATFORM,
        metavar="OS/ARCH",
        help=f"target platform (default: {DEFAULT_PLATFORM}, what the deployments run)",
    )
    parser.add_argument(
        "--image",
        default="sidecar",
        choices=image_names(),
        help="what to build (default: sidecar)",
    )
    parser.add_argument(
        "--logstash-version",
        default=DEFAULT_LOGSTASH_VERSION,
        metavar="X.Y.Z",
        help=f"Logstash version of logstash-* images (default: {DEFAULT_LOGSTASH_VERSION})",
    )
    parser.add_argument(
        "--create-repository",
        action="store_true",
        help="ECR: create the repository when missing (scan on push, immutable tags)",
    )
    parser.add_argument("--region", metavar="REGION", help="ECR: the AWS region")
    parser.add_argument(
        "--server",
        metavar="HOST",
        help="ACR: the registry (myregistry or myregistry.azurecr.io)",
    )
    parser.add_argument("--token-file", type=Path, metavar="FILE", help="GHCR: file with a token")
    parser.add_argument("--username", metavar="USER", help="GHCR: the user the token belongs to")
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO_ROOT,
        metavar="DIR",
        help="the stashkit checkout to build from (default: this one)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print {image, references, tags, registry, server} as JSON instead of the reference",
    )
    parser.set_defaults(handler=run)


_ONLY_FOR = {"region": "ecr", "server": "acr", "token_file": "ghcr", "username": "ghcr"}


def make_registry(
    args: argparse.Namespace, factories: Factories, environ: Mapping[str, str]
) -> Registry:
    for option, registry in _ONLY_FOR.items():
        if getattr(args, option) is not None and args.registry != registry:
            flag = "--" + option.replace("_", "-")
            raise UsageError(f"{flag} applies to --registry {registry} only")
    if args.registry == "ecr":
        return EcrRegistry(args.region, factories.ecr_client)
    if args.registry == "acr":
        if not args.server:
            raise UsageError("--registry acr needs --server (the registry, e.g. myregistry)")
        return AcrRegistry(
            args.server,
            environ=environ,
            credential_factory=factories.azure_credential,
            http_factory=factories.registry_http_client,
        )
    return GhcrRegistry(environ=environ, token_file=args.token_file, username=args.username)


def run(args: argparse.Namespace, factories: Factories | None = None) -> int:
    factories = factories or cloud.DEFAULT_FACTORIES
    environ = factories.environ()
    registry = make_registry(args, factories, environ)
    docker = DockerCli(sys.stderr, environ=environ)
    request = BuildPushRequest(
        repository=args.repository,
        tag=args.tag,
        image=args.image,
        source=args.source,
        also_tag_sha=args.also_tag_sha,
        platform=args.platform,
        create_repository=args.create_repository,
        logstash_version=args.logstash_version,
    )
    pushed = BuildPush(registry, docker, Progress(sys.stderr)).run(request)
    if args.json:
        print(
            json.dumps(
                {
                    "image": pushed.image,
                    "references": list(pushed.references),
                    "tags": list(pushed.tags),
                    "registry": pushed.registry,
                    "server": pushed.server,
                }
            )
        )
    else:
        print(pushed.image)
    return 0
