"""`stashkit.cloud`'s one retry layer: what is worth retrying is the SDKs' own judgement
(botocore's standard retry mode, azure-core's RetryPolicy codes), and a server's Retry-After
stretches the wait."""

from __future__ import annotations

import email.utils
import json

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from azure.core.pipeline.transport import RequestsTransportResponse
from azure.core.rest import HttpRequest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.retries.standard import (
    ThrottledRetryableChecker,
    ThrottlingStatusCodeChecker,
    TransientRetryableChecker,
)
from kubernetes.client.exceptions import ApiException

from stashkit.cloud import Backoff, call_with_backoff, is_transient, retry_after

# The codes the issue found missing from the old hand-kept list; botocore's list has them.
ISSUE_CODES = [
    "EC2ThrottledException",
    "RequestThrottledException",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
]
BOTOCORE_CODES = sorted(
    {
        *ThrottledRetryableChecker._THROTTLED_ERROR_CODES,
        *TransientRetryableChecker._TRANSIENT_ERROR_CODES,
    }
)


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "DescribeThings",
    )


def test_botocores_lists_hold_the_codes_the_issue_named() -> None:
    assert set(ISSUE_CODES) <= set(BOTOCORE_CODES)
    assert len(BOTOCORE_CODES) >= 15


@pytest.mark.parametrize("code", BOTOCORE_CODES)
def test_every_code_botocore_retries_is_transient(code: str) -> None:
    assert is_transient(_client_error(code))


@pytest.mark.parametrize("status", TransientRetryableChecker._TRANSIENT_STATUS_CODES)
def test_botocores_transient_statuses_are_transient_whatever_the_code(status: int) -> None:
    assert is_transient(_client_error("SomethingUnmodelled", status))


@pytest.mark.parametrize("status", ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES)
def test_an_unmodelled_throttling_status_is_transient(status: int) -> None:
    assert is_transient(_client_error("", status))


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AccessDenied", 403),
        ("ValidationError", 400),
        ("ResourceNotFoundException", 404),
        ("NotImplemented", 501),  # a 5xx botocore does not retry (the old list took all of them)
        ("InvalidClientTokenId", 403),
    ],
)
def test_what_botocore_does_not_retry_is_not_transient(code: str, status: int) -> None:
    assert not is_transient(_client_error(code, status))


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (EndpointConnectionError(endpoint_url="https://ec2.example"), True),
        (ConnectTimeoutError(endpoint_url="https://ec2.example"), True),
        (ReadTimeoutError(endpoint_url="https://ec2.example"), True),
        (NoCredentialsError(), False),
    ],
    ids=["endpoint-connection", "connect-timeout", "read-timeout", "no-credentials"],
)
def test_botocores_connection_errors_are_transient(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient


def _azure_error(
    status: int, headers: dict[str, str] | None = None, code: str = "Busy"
) -> HttpResponseError:
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "reason"
    raw.headers.update(headers or {})
    raw._content = json.dumps({"error": {"code": code, "message": "m"}}).encode()
    return HttpResponseError(
        response=RequestsTransportResponse(HttpRequest("GET", "https://management.example/"), raw)
    )


@pytest.mark.parametrize(
    ("status", "transient"),
    [(408, True), (429, True), (500, True), (502, True), (503, True), (504, True),
     (400, False), (401, False), (404, False), (409, False), (501, False), (505, False)],
)  # fmt: skip
def test_azure_statuses_are_judged_as_azure_core_retries_them(status: int, transient: bool) -> None:
    assert is_transient(_azure_error(status)) is transient


def test_azure_errors_without_a_status() -> None:
    assert is_transient(ServiceRequestError("name resolution failed"))
    assert not is_transient(ResourceNotFoundError("gone"))


# --------------------------------------------------------------------------------------------
# Retry-After
# --------------------------------------------------------------------------------------------

NOW = 1_767_225_600.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": email.utils.formatdate(NOW + 42, usegmt=True)}, 42.0),
        ({"Retry-After": email.utils.formatdate(NOW - 42, usegmt=True)}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"x-ms-retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
    ],
)
def test_should_read_retry_after_from_an_azure_answer(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after(_azure_error(429, headers), now=lambda: NOW) == seconds


def test_should_read_retry_after_from_a_kubernetes_answer() -> None:
    exc = ApiException(status=429, reason="Too Many Requests")
    exc.headers = {"Retry-After": "3"}
    assert retry_after(exc) == 3.0
    assert retry_after(ApiException(status=429)) is None
    assert retry_after(ValueError("no response")) is None


class _Waits:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.lines: list[str] = []

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        return True


def _failing(errors: list[Exception]) -> object:
    def call() -> str:
        if errors:
            raise errors.pop(0)
        return "done"

    return call


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),  # longer than the backoff: the server wins
        ({"Retry-After": "0.1"}, 1.0),  # shorter: the backoff stands
        ({"Retry-After": "86400"}, 300.0),  # capped at max_retry_after
        ({}, 1.0),
    ],
)
def test_backoff_should_wait_what_the_server_asked(
    headers: dict[str, str], expected: float
) -> None:
    waits = _Waits()
    call = _failing([_azure_error(429, headers, code="TooManyRequests")])
    result = call_with_backoff(
        call,  # type: ignore[arg-type]
        what="azure resource group rg",
        backoff=Backoff(attempts=3, base=1.0, jitter=0.0),
        sleep=waits.sleep,
        log=waits.lines.append,
    )
    assert result == "done"
    assert waits.sleeps == [expected]
    (line,) = waits.lines
    assert line.startswith("azure resource group rg: Azure: TooManyRequests (HTTP 429)")
    assert line.endswith(
        f"retry 1/2 in {expected:.1f} s"
        + (" (the server's Retry-After)" if expected != 1.0 else "")
    )


def test_backoff_should_not_retry_what_botocore_would_not() -> None:
    waits = _Waits()
    with pytest.raises(ClientError):
        call_with_backoff(
            _failing([_client_error("AccessDenied", 403)]),  # type: ignore[arg-type]
            what="x",
            backoff=Backoff(attempts=3),
            sleep=waits.sleep,
            log=waits.lines.append,
        )
    assert waits.sleeps == []
