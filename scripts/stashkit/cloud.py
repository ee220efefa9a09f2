"""The clouds as the operator commands see them: client factories, error wording, backoff.

Commands never build clients themselves: they receive a :class:`Factories` (the production one
is :data:`DEFAULT_FACTORIES`), so tests pass moto-backed sessions, an Azure client pointed at a
local fake ARM endpoint, a fake Azure credential, or httpx clients with their own transports.

There is one retry layer, this one: boto3 clients are made with ``max_attempts=1``, Azure
clients with ``retry_total=0`` and the Kubernetes client with its urllib3 retries off, and
:func:`call_with_backoff` retries transient failures with exponential backoff and logs each
retry. A retry the operator cannot see is a wait they cannot explain. What counts as transient
is the SDKs' own judgement, not a list kept here: for AWS, botocore's standard retry mode (the
checkers of ``botocore.retries.standard``: its throttling and transient error codes,
500/502/503/504, 429, connection errors); for Azure, azure-core's ``RetryPolicy`` status codes;
for Kubernetes, 5xx, 429 and connection errors. A server's ``Retry-After`` (Azure's, also in
milliseconds, and Kubernetes') stretches the wait to what it asked for, up to
:attr:`Backoff.max_retry_after`.

boto3, the Azure SDK and the Kubernetes client are imported when a factory is called, not when
the CLI starts, so ``stashkit --help`` and ``stashkit render`` stay fast.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .errors import CloudError, StashkitError, Stopped, UsageError

if TYPE_CHECKING:
    import boto3
    from azure.core.credentials import TokenCredential
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient
    from mypy_boto3_ecr import ECRClient

__all__ = [
    "DEFAULT_FACTORIES",
    "KUBE_TIMEOUT",
    "Backoff",
    "Factories",
    "Sleep",
    "call_with_backoff",
    "describe_api_exception",
    "describe_error",
    "is_transient",
    "kube_client",
    "retry_after",
]

T = TypeVar("T")

KUBE_TIMEOUT = (5.0, 20.0)
"""(connect, read) seconds of every Kubernetes API request."""

Sleep = Callable[[float], bool]
"""Sleeps up to the given seconds; returns False when the wait was cut short by a stop request."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``base * factor**n`` seconds, at most ``cap``, with ±``jitter``; a
    server's ``Retry-After`` is honoured up to ``max_retry_after`` seconds."""

    attempts: int = 4
    base: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.2
    max_retry_after: float = 300.0

    def delay(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        raw = min(self.base * self.factor**retry, self.cap)
        return raw * (1 + self.jitter * (2 * rand() - 1))


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same call again may succeed, as the SDK that raised ``exc`` judges it
    (throttling, a transient server error, a dropped connection)."""
    for judge in (_aws_transient, _azure_transient, _kube_transient):
        verdict = judge(exc)
        if verdict is not None:
            return verdict
    return isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError)


def _aws_transient(exc: BaseException) -> bool | None:
    """botocore's standard retry mode on ``exc``; None when it is not a botocore error."""
    try:
        from botocore.retries import standard
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    context = _aws_retry_context(exc)
    if context is None:
        return None
    # StandardRetryConditions without its attempt count (ours) and its checks that need the
    # operation's model (modelled retryable errors, STS's IdP and DynamoDB's checksum errors).
    checkers: list[Any] = [
        standard.TransientRetryableChecker(),
        standard.ThrottledRetryableChecker(),
    ]
    # An unmodelled 429 (botocore 1.44; its stubs do not know the class yet).
    status_checker = getattr(standard, "ThrottlingStatusCodeChecker", None)
    if status_checker is not None:
        checkers.append(status_checker())
    elif context.http_response is not None and context.http_response.status_code == 429:
        return True
    return bool(standard.OrRetryChecker(checkers).is_retryable(context))


def _aws_retry_context(exc: BaseException) -> Any:
    """botocore's view of a failed attempt (``RetryContext``), or None for a non-botocore error."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.retries.standard import RetryContext

    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        response = AWSResponse("", status, HTTPHeaders(), None) if status else None
        return RetryContext(attempt_number=1, parsed_response=exc.response, http_response=response)
    if isinstance(exc, BotoCoreError):
        return RetryContext(attempt_number=1, caught_exception=exc)
    return None


def _azure_transient(exc: BaseException) -> bool | None:
    """azure-core's own judgement (its RetryPolicy's status codes); None when not an Azure
    error."""
    try:
        from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError
        from azure.core.pipeline.policies import RetryPolicy
    except ImportError:  # pragma: no cover - azure-core is a dependency
        return None
    if isinstance(exc, ServiceRequestError):
        return True  # the request never reached the service (DNS, connect, TLS)
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        return exc.status_code in RetryPolicy._RETRY_CODES
    if isinstance(exc, AzureError):
        return False
    return None


def retry_after(exc: BaseException, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked to wait before a retry (``Retry-After`` as seconds or an HTTP
    date, or Azure's ``retry-after-ms`` / ``x-ms-retry-after-ms``); None when it did not say."""
    headers = {k.lower(): v for k, v in _response_headers(exc).items()}
    for name, unit in (
        ("retry-after", 1.0),
        ("retry-after-ms", 1e-3),
        ("x-ms-retry-after-ms", 1e-3),
    ):
        raw = str(headers.get(name, "")).strip()
        if not raw:
            continue
        seconds = _seconds(raw, now)
        if seconds is not None:
            return max(seconds * unit, 0.0)
    return None


def _seconds(raw: str, now: Callable[[], float]) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        return when.timestamp() - now()
    return value if math.isfinite(value) else None


def _response_headers(exc: BaseException) -> Mapping[str, str]:
    """The HTTP response headers an SDK error carries (Azure, Kubernetes), else none."""
    response = getattr(exc, "response", None)  # azure.core.exceptions.HttpResponseError
    headers = getattr(response, "headers", None)
    if headers is None:
        headers = getattr(exc, "headers", None)  # kubernetes.client.exceptions.ApiException
    try:
        return dict(headers.items()) if headers is not None else {}
    except (AttributeError, TypeError):
        return {}


def _kube_transient(exc: BaseException) -> bool | None:
    """Whether a Kubernetes client error is worth retrying; None when it is not one."""
    try:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError
    except ImportError:  # pragma: no cover - kubernetes is a dependency
        return None
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        return status >= 500 or status == 429
    if isinstance(exc, HTTPError):  # connection refused, reset, timed out
        return True
    return None


def describe_error(exc: BaseException, limit: int = 400) -> str:
    """One line an operator can act on, for the errors of boto3, the Azure SDK and httpx.

    Always one line, at most ``limit`` characters (DefaultAzureCredential's failure lists every
    credential it tried, over many lines).
    """
    text = " ".join(_describe(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(exc: BaseException) -> str:
    try:
        from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError
    except ImportError:  # pragma: no cover
        pass
    else:
        if isinstance(exc, NoCredentialsError):
            return "no AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and friends)"
        if isinstance(exc, NoRegionError):
            return "no AWS region (pass --region or set AWS_REGION)"
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            operation = getattr(exc, "operation_name", "call")
            code = error.get("Code", "Error")
            return f"AWS {operation}: {code} (HTTP {status}): {error.get('Message', '')}".strip()
    try:
        from azure.core.exceptions import AzureError, HttpResponseError
    except ImportError:  # pragma: no cover
        pass
    else:
        if isinstance(exc, HttpResponseError) and exc.status_code is not None:
            reason = (exc.error.code if exc.error is not None else None) or exc.reason
            message = (exc.error.message if exc.error is not None else None) or ""
            return f"Azure: {reason} (HTTP {exc.status_code}): {message}".strip()
        if isinstance(exc, AzureError):
            return f"Azure: {type(exc).__name__}: {exc.message}"
    try:
        from kubernetes.client.exceptions import ApiException
    except ImportError:  # pragma: no cover
        pass
    else:
        if isinstance(exc, ApiException):
            return describe_api_exception(exc)
    if isinstance(exc, StashkitError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def describe_api_exception(exc: Any) -> str:
    """One line for a Kubernetes ``ApiException``: the API server's Status message when it sent
    one."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    message = ""
    try:
        document = json.loads(body or "")
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        message = document["message"]
    elif exc.status == 0:
        message = str(exc.reason or "")
    reason = exc.reason or "error"
    text = f"Kubernetes: {reason} (HTTP {exc.status})" + (f": {message}" if message else "")
    return " ".join(text.split())


def call_with_backoff(
    call: Callable[[], T],
    *,
    what: str,
    backoff: Backoff,
    sleep: Sleep,
    log: Callable[[str], None],
    rand: Callable[[], float] = random.random,
) -> T:
    """``call()``, retried on transient errors with exponential backoff.

    A non-transient error is raised at once; a transient one after ``backoff.attempts`` tries.
    ``sleep`` returning False (a stop request) raises :class:`Stopped`.
    """
    for attempt in range(backoff.attempts):
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc) or attempt == backoff.attempts - 1:
                raise
            delay = backoff.delay(attempt, rand)
            asked = retry_after(exc)
            note = ""
            if asked is not None and asked > delay:
                delay = min(asked, backoff.max_retry_after)
                note = " (the server's Retry-After)"
            log(
                f"{what}: {describe_error(exc)}; retry {attempt + 1}/{backoff.attempts - 1} "
                f"in {delay:.1f} s{note}"
            )
            if not sleep(delay):
                raise Stopped(f"{what}: stopped while waiting to retry") from exc
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


# ---- factories ------------------------------------------------------------------------------


def boto3_session(region: str | None) -> boto3.session.Session:
    import boto3

    return boto3.session.Session(region_name=region)


def boto3_client_config() -> Any:
    """botocore ``Config``: one attempt (:func:`call_with_backoff` retries), short timeouts."""
    from botocore.config import Config

    return Config(
        retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=20
    )


def azure_subscription(explicit: str | None) -> str:
    subscription = explicit or os.environ.get("AZURE_SUBSCRIPTION_ID", "")
    if not subscription:
        raise UsageError("no Azure subscription: pass --subscription or set AZURE_SUBSCRIPTION_ID")
    return subscription


def aci_client(subscription: str) -> ContainerInstanceManagementClient:
    """The production client: ``DefaultAzureCredential`` (environment, managed identity, Azure
    CLI login, ...), the SDK's own retries off (see the module docstring)."""
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient

    return ContainerInstanceManagementClient(DefaultAzureCredential(), subscription, retry_total=0)


def kube_client(kubeconfig: Path | None = None, context: str | None = None) -> Any:
    """A ``kubernetes.client.ApiClient`` for ``kubeconfig`` (else ``$KUBECONFIG``, else
    ``~/.kube/config``, else the in-cluster service account) and ``context``: the official
    client, so kubeconfig exec credential plugins work; its urllib3 retries off (see the module
    docstring)."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    files = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG", "")
    default = Path.home() / ".kube" / "config"
    try:
        if files or default.is_file() or context:
            config.load_kube_config(
                config_file=files or str(default),
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
        else:
            config.load_incluster_config(client_configuration=configuration)
    except (ConfigException, OSError) as exc:
        raise CloudError(
            f"no usable Kubernetes credentials ({' '.join(str(exc).split())}): pass "
            "--kubeconfig / --context, set KUBECONFIG, or run in a pod with a service account"
        ) from exc
    configuration.retries = False
    configuration.safe_chars_for_path_param = ":"  # pods/NAME:PORT/proxy, as kubectl sends it
    return client.ApiClient(configuration)


def ecr_client(region: str | None) -> ECRClient:
    """A boto3 ECR client for ``region`` (``None``: ``AWS_REGION``, else boto3's own chain:
    ``AWS_DEFAULT_REGION``, the profile's region)."""
    import boto3

    chosen = region or os.environ.get("AWS_REGION") or None
    return boto3.session.Session(region_name=chosen).client("ecr")


def azure_credential() -> TokenCredential:
    """``DefaultAzureCredential``: environment, managed identity, Azure CLI login, ..."""
    from azure.identity import DefaultAzureCredential

    credential: TokenCredential = DefaultAzureCredential()
    return credential


def registry_http_client() -> httpx.Client:
    """For a registry's token exchange (ACR's ``/oauth2/exchange``)."""
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))


def environment() -> Mapping[str, str]:
    """A copy of this process's environment (what build-push's docker and registries read)."""
    return dict(os.environ)


def http_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)


def async_http_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)


@dataclass(frozen=True)
class Factories:
    """What the operator commands build their clients with; tests replace any of them."""

    boto3_session: Callable[[str | None], boto3.session.Session] = boto3_session
    aci_client: Callable[[str], ContainerInstanceManagementClient] = aci_client
    kube_client: Callable[[Path | None, str | None], Any] = kube_client
    http_client: Callable[[float], httpx.Client] = http_client
    async_http_client: Callable[[float], httpx.AsyncClient] = async_http_client
    ecr_client: Callable[[str | None], ECRClient] = ecr_client
    azure_credential: Callable[[], TokenCredential] = azure_credential
    registry_http_client: Callable[[], httpx.Client] = registry_http_client
    environ: Callable[[], Mapping[str, str]] = environment


DEFAULT_FACTORIES = Factories()
