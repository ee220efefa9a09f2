"""Container registries for ``stashkit build-push``: where to push and how to log in.

Each registry turns a repository name into a :class:`Login` (the server for ``docker login``, a
username, a password that only ever goes to ``docker login --password-stdin``, and the full
repository reference). Cloud clients come from factories passed in, so tests use moto, a fake
credential and an httpx transport of their own:

* **ECR**: boto3 ``ecr`` client. The repository is looked up and, with ``create=True``, created
  with scan on push, immutable tags and AES-256 encryption. ``get_authorization_token`` gives a
  base64 ``AWS:<password>`` and the registry endpoint.
* **ACR**: admin credentials from ``ACR_USERNAME`` and ``ACR_PASSWORD`` (or ``ACR_PASSWORD_FILE``)
  when set; otherwise an Azure AD token (azure-identity's ``DefaultAzureCredential``) exchanged at
  ``https://<registry>/oauth2/exchange`` for an ACR refresh token, used with the username
  ``00000000-0000-0000-0000-000000000000`` (what ``az acr login`` does).
* **GHCR**: a token from ``--token-file`` or ``GHCR_TOKEN``; the username from ``--username``,
  ``GHCR_USERNAME`` or ``GITHUB_ACTOR``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import httpx

from .errors import RegistryError, StashkitError, UsageError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from mypy_boto3_ecr import ECRClient

__all__ = [
    "ACR_REFRESH_USERNAME",
    "ARM_SCOPE",
    "REGISTRIES",
    "AcrRegistry",
    "EcrRegistry",
    "GhcrRegistry",
    "Login",
    "Registry",
]

REGISTRIES: tuple[str, ...] = ("ecr", "acr", "ghcr")
ACR_REFRESH_USERNAME = "00000000-0000-0000-0000-000000000000"
"""The username ACR expects with a refresh token from ``/oauth2/exchange``."""
ARM_SCOPE = "https://management.azure.com/.default"
"""The Azure AD scope whose token ACR exchanges (the one ``az acr login`` uses)."""

_ECR_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*(?::[0-9]+)?")


@dataclass(frozen=True)
class Login:
    """How to push to one repository; ``password`` goes to ``docker login`` stdin only."""

    server: str
    username: str
    password: str = field(repr=False)
    repository: str
    """Full repository reference without a tag: ``<server>/<name>``."""
    note: str = ""
    """What was done to get here, for the operator (``created repository ...``)."""


class Registry(Protocol):
    """One registry kind."""

    label: str

    def prepare(self, repository: str, *, create: bool) -> Login: ...


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else type(text).__name__


# --------------------------------------------------------------------------------------------
# ECR
# --------------------------------------------------------------------------------------------


def _aws_error(exc: Exception, action: str) -> StashkitError:
    """One line for a boto3 failure (never a traceback)."""
    from botocore.exceptions import (
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoRegionError):
        return UsageError("no AWS region: pass --region or set AWS_REGION or AWS_DEFAULT_REGION")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return RegistryError(
            f"{action}: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an instance role applies)"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        return RegistryError(f"{action}: {code}: {_first_line(error.get('Message', exc))}")
    return RegistryError(f"{action}: {_first_line(exc)}")


class EcrRegistry:
    """Amazon ECR in one region."""

    label = "ECR"

    def __init__(
        self,
        region: str | None,
        client_factory: Callable[[str | None], ECRClient],
    ) -> None:
        self.region = region
        self.client_factory = client_factory

    def prepare(self, repository: str, *, create: bool) -> Login:
        from botocore.exceptions import BotoCoreError, ClientError

        if not (2 <= len(repository) <= 256 and _ECR_NAME.fullmatch(repository)):
            raise UsageError(f"{repository!r} is not an ECR repository name")
        try:
            client = self.client_factory(self.region)
            region = client.meta.region_name
            uri, note = self._repository(client, repository, region, create)
            data = client.get_authorization_token()["authorizationData"]
        except (BotoCoreError, ClientError) as exc:
            raise _aws_error(exc, "ECR") from exc
        if not data:
            raise RegistryError("ECR GetAuthorizationToken returned no authorization data")
        username, password = _decode_ecr_token(data[0].get("authorizationToken", ""))
        endpoint = data[0].get("proxyEndpoint", "")
        server = urlparse(endpoint).netloc or endpoint
        if not server:
            raise RegistryError("ECR GetAuthorizationToken returned no registry endpoint")
        return Login(server, username, password, uri, note)

    @staticmethod
    def _repository(
        client: ECRClient, repository: str, region: str, create: bool
    ) -> tuple[str, str]:
        """The repository URI; created (scan on push, immutable tags) when asked and missing."""
        try:
            found = client.describe_repositories(repositoryNames=[repository])["repositories"]
            return found[0]["repositoryUri"], ""
        except client.exceptions.RepositoryNotFoundException:
            if not create:
                raise RegistryError(
                    f"ECR repository {repository} does not exist in {region} "
                    "(pass --create-repository to create it)"
                ) from None
        created = client.create_repository(
            repositoryName=repository,
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "AES256"},
            tags=[{"Key": "managed-by", "Value": "stashkit"}],
        )["repository"]
        return (
            created["repositoryUri"],
            f"created ECR repository {repository} in {region} (scan on push, immutable tags)",
        )


def _decode_ecr_token(token: str) -> tuple[str, str]:
    """``base64("AWS:<password>")`` -> (``AWS``, password)."""
    try:
        text = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise RegistryError("ECR authorization token is not base64 user:password") from exc
    username, sep, password = text.partition(":")
    if not sep or not username or not password:
        raise RegistryError("ECR authorization token is not base64 user:password")
    return username, password


# --------------------------------------------------------------------------------------------
# ACR
# --------------------------------------------------------------------------------------------


def _secret_from_env(environ: Mapping[str, str], name: str) -> str | None:
    """``<name>_FILE``'s content, else ``<name>``, else None."""
    file_name = environ.get(f"{name}_FILE")
    if file_name:
        path = Path(file_name).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise UsageError(f"{name}_FILE: cannot read {path}: {reason}") from exc
    value = environ.get(name)
    return value.strip() if value else None


def acr_server(name: str) -> str:
    """``myregistry`` -> ``myregistry.azurecr.io``; a full host name stays as it is."""
    server = name.strip().lower()
    if server and "." not in server and ":" not in server:
        server = f"{server}.azurecr.io"
    if not _HOST.fullmatch(server):
        raise UsageError(f"{name!r} is not a registry host name")
    return server


class AcrRegistry:
    """Azure Container Registry ``server`` (``myregistry.azurecr.io``)."""

    label = "ACR"

    def __init__(
        self,
        server: str,
        *,
        environ: Mapping[str, str],
        credential_factory: Callable[[], TokenCredential],
        http_factory: Callable[[], httpx.Client],
    ) -> None:
        self.server = acr_server(server)
        self.environ = environ
        self.credential_factory = credential_factory
        self.http_factory = http_factory

    def prepare(self, repository: str, *, create: bool) -> Login:
        reference = f"{self.server}/{repository}"
        note = "ACR creates the repository on the first push" if create else ""
        username = self.environ.get("ACR_USERNAME", "").strip()
        password = _secret_from_env(self.environ, "ACR_PASSWORD")
        if username or password:
            if not (username and password):
                raise UsageError("ACR admin credentials need both ACR_USERNAME and ACR_PASSWORD")
            return Login(self.server, username, password, reference, note)
        return Login(self.server, ACR_REFRESH_USERNAME, self._refresh_token(), reference, note)

    def _refresh_token(self) -> str:
        from azure.core.exceptions import AzureError

        try:
            access = self.credential_factory().get_token(ARM_SCOPE).token
        except AzureError as exc:
            raise RegistryError(f"Azure sign-in failed: {_first_line(exc)}") from exc
        url = f"https://{self.server}/oauth2/exchange"
        form = {"grant_type": "access_token", "service": self.server, "access_token": access}
        tenant = self.environ.get("AZURE_TENANT_ID")
        if tenant:
            form["tenant"] = tenant
        try:
            with self.http_factory() as client:
                response = client.post(url, data=form)
        except httpx.HTTPError as exc:
            raise RegistryError(f"ACR token exchange with {self.server}: {exc}") from exc
        if response.status_code != 200:
            raise RegistryError(
                f"ACR token exchange with {self.server}: HTTP {response.status_code}"
                f"{_acr_error_detail(response)}"
            )
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        token = body.get("refresh_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"ACR token exchange with {self.server}: no refresh_token")
        return token


def _acr_error_detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f": {_first_line(errors[0].get('message', ''))}"
    return ""


# --------------------------------------------------------------------------------------------
# GHCR
# --------------------------------------------------------------------------------------------


class GhcrRegistry:
    """GitHub Container Registry; repositories are ``OWNER/NAME``."""

    label = "GHCR"
    server = "ghcr.io"

    def __init__(
        self,
        *,
        environ: Mapping[str, str],
        token_file: Path | None = None,
        username: str | None = None,
    ) -> None:
        self.environ = environ
        self.token_file = token_file
        self.username = username

    def prepare(self, repository: str, *, create: bool) -> Login:
        if "/" not in repository:
            raise UsageError(f"GHCR repository {repository!r} must be OWNER/NAME")
        username = (
            self.username
            or self.environ.get("GHCR_USERNAME")
            or self.environ.get("GITHUB_ACTOR")
            or ""
        ).strip()
        if not username:
            raise UsageError("GHCR needs a username: pass --username or set GHCR_USERNAME")
        note = "GHCR creates the package on the first push" if create else ""
        return Login(self.server, username, self._token(), f"{self.server}/{repository}", note)

    def _token(self) -> str:
        if self.token_file is not None:
            try:
                token = self.token_file.expanduser().read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not UTF-8 text"
                raise UsageError(f"--token-file: cannot read {self.token_file}: {reason}") from exc
            if not token:
                raise UsageError(f"--token-file: {self.token_file} is empty")
            return token
        token = self.environ.get("GHCR_TOKEN", "").strip()
        if not token:
            raise UsageError("GHCR needs a token: pass --token-file FILE or set GHCR_TOKEN")
        return token
