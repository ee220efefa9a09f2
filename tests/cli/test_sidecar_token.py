"""The sidecar token on the CLI side: ``stashkit fleet`` and ``stashkit verify`` read it from
``--token-file`` or ``$STASHKIT_SIDECAR_TOKEN_FILE`` and send it to every sidecar endpoint; a 401
is one clear line; the token is never printed. Driven against a sidecar-like server on loopback
that requires the token, and a real Prometheus scraping it with ``credentials_file``."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stashkit.errors import UsageError
from stashkit.sidecar_auth import TOKEN_FILE_ENV, load_token
from tests.cli.support import cli
from tests.cli.token_sidecar import TokenSidecar, serve_token_sidecar
from tests.support.servers import free_port, wait_until

TOKEN = "s3cr3t-T0ken-4f9a2c"
WRONG = "not-the-token-0000"
HINT = f"pass --token-file or set {TOKEN_FILE_ENV}"


@pytest.fixture
def server() -> Iterator[tuple[TokenSidecar, str]]:
    sidecar = TokenSidecar({TOKEN})
    with serve_token_sidecar(sidecar) as url:
        yield sidecar, url


@pytest.fixture(autouse=True)
def no_token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_FILE_ENV, raising=False)


def token_file(tmp_path: Path, content: str, name: str = "token") -> Path:
    path = tmp_path / name
    path.write_text(content)
    path.chmod(0o600)
    return path


def assert_never_printed(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        assert WRONG not in text


# ---- reading the token ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f"{TOKEN}\n", TOKEN),
        (f"\n# the sidecar token\n  {TOKEN}  \nsecond-token\n", TOKEN),
        (f"operators:{TOKEN}\n", TOKEN),  # the sidecar's name:token format
        (TOKEN, TOKEN),  # no final newline
    ],
)
def test_token_file_should_give_the_first_token(
    tmp_path: Path, content: str, expected: str
) -> None:
    token = load_token(token_file(tmp_path, content), environ={})
    assert token is not None
    assert token.value == expected
    assert token.header == f"Bearer {expected}"
    assert expected not in repr(token)


def test_flag_should_win_over_the_environment_and_the_environment_over_nothing(
    tmp_path: Path,
) -> None:
    flag = token_file(tmp_path, "from-the-flag\n", "flag")
    env = token_file(tmp_path, "from-the-env\n", "env")
    environ = {TOKEN_FILE_ENV: str(env)}
    chosen = load_token(flag, environ=environ)
    assert chosen is not None and chosen.value == "from-the-flag"
    assert chosen.source == f"--token-file {flag}"
    from_env = load_token(None, environ=environ)
    assert from_env is not None and from_env.value == "from-the-env"
    assert from_env.source == f"{TOKEN_FILE_ENV}={env}"
    assert load_token(None, environ={}) is None
    assert load_token(None, environ={TOKEN_FILE_ENV: ""}) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\n# only a comment\n", "no token in the file"),
        ("name:\n", "no token in the file"),
        (f"{TOKEN} {WRONG}\n", "characters an HTTP header cannot carry"),
        (f"{TOKEN}\x07\n", "characters an HTTP header cannot carry"),
        (f"{TOKEN}é\n", "characters an HTTP header cannot carry"),
    ],
)
def test_bad_token_files_should_be_refused_without_quoting_them(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        load_token(token_file(tmp_path, content), environ={})
    assert message in caught.value.message
    assert_never_printed(caught.value.message)


def test_unreadable_token_file_should_be_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = cli("fleet", "--url", "http://127.0.0.1:9", "--token-file", str(missing))
    assert result.code == 2
    assert result.err == (
        f"stashkit: --token-file {missing}: cannot read the token file: No such file or directory\n"
    )


# ---- fleet ----------------------------------------------------------------------------------


def test_fleet_should_send_the_token_from_the_flag(
    server: tuple[TokenSidecar, str], tmp_path: Path
) -> None:
    sidecar, url = server
    result = cli("fleet", "--url", url, "--token-file", str(token_file(tmp_path, TOKEN)))
    assert result.code == 0, result.err
    assert "healthy" in result.out and "1/1 ok" in result.out
    assert sidecar.headers_for("/api/stats") == [f"Bearer {TOKEN}"]
    assert_never_printed(result.out, result.err)


def test_fleet_should_send_the_token_the_environment_names(
    server: tuple[TokenSidecar, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sidecar, url = server
    monkeypatch.setenv(TOKEN_FILE_ENV, str(token_file(tmp_path, f"ops:{TOKEN}\n")))
    result = cli("fleet", "--url", url, "--json")
    assert result.code == 0, result.err
    assert result.json()["instances"][0]["health"] == "healthy"
    assert sidecar.headers_for("/api/stats") == [f"Bearer {TOKEN}"]


def test_fleet_without_a_token_should_say_one_is_required(
    server: tuple[TokenSidecar, str],
) -> None:
    sidecar, url = server
    result = cli("fleet", "--url", url)
    assert result.code == 1
    reason = f"sidecar at {url} requires a token (401): {HINT}"
    assert result.err == f"stashkit: fleet: 1 unauthorized ({reason})\n"
    row = result.out.splitlines()[1]
    assert row.split()[1] == "unauthorized"
    assert row.endswith(reason)
    assert sidecar.headers_for("/api/stats") == [None]


def test_fleet_with_a_wrong_token_should_say_it_was_refused_and_never_print_it(
    server: tuple[TokenSidecar, str], tmp_path: Path
) -> None:
    _, url = server
    wrong = token_file(tmp_path, WRONG)
    result = cli("fleet", "--url", url, "--token-file", str(wrong))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"stashkit: fleet: 1 unauthorized (sidecar at {url} refused the token (401): {HINT})"
    ]
    document = cli("fleet", "--url", url, "--token-file", str(wrong), "--json")
    row = document.json()["instances"][0]
    assert row["health"] == "unauthorized"
    assert row["error"] == f"sidecar at {url} refused the token (401): {HINT}"
    assert_never_printed(result.out, result.err, document.out, document.err)


# ---- verify ---------------------------------------------------------------------------------

FAST = ("--no-terraform", "--timeout", "1", "--interval", "0.2", "--http-timeout", "2")


def test_verify_should_send_the_token_to_health_and_stats(
    server: tuple[TokenSidecar, str], tmp_path: Path
) -> None:
    sidecar, url = server
    with _udp_sink() as syslog:
        result = cli(
            "verify", "aws-ec2-autoscale", *FAST, "--sidecar-url", url,
            "--token-file", str(token_file(tmp_path, TOKEN)),
            "--send-samples", "--syslog", syslog, "--samples-timeout", "0.5",
        )  # fmt: skip
    # The fake never counts what was sent: the samples go missing, but every request had the token.
    assert result.code == 1
    assert "samples not all counted" in result.err
    assert "401" not in result.out + result.err
    assert sidecar.headers_for("/api/health") == [f"Bearer {TOKEN}"]
    stats = sidecar.headers_for("/api/stats")
    assert len(stats) >= 2 and set(stats) == {f"Bearer {TOKEN}"}
    assert_never_printed(result.out, result.err)


def test_verify_with_a_wrong_token_should_report_the_refusal_in_one_line(
    server: tuple[TokenSidecar, str], tmp_path: Path
) -> None:
    _, url = server
    with _udp_sink() as syslog:
        result = cli(
            "verify", "aws-ec2-autoscale", *FAST, "--sidecar-url", url,
            "--token-file", str(token_file(tmp_path, WRONG)),
            "--send-samples", "--syslog", syslog,
        )  # fmt: skip
    assert result.code == 1
    [error] = [line for line in result.err.splitlines() if line.startswith("stashkit:")]
    assert error.endswith(f"sidecar at {url} refused the token (401): {HINT}")
    assert "serving (1/1 checks pass" in result.out  # /api/health is open
    assert_never_printed(result.out, result.err)


def test_verify_should_show_a_401_health_answer_as_unauthorized() -> None:
    from stashkit.inventory import SidecarAddress
    from stashkit.verify_checks import SidecarHealth

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "authentication required"})

    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        check = SidecarHealth(client).check(SidecarAddress("pod-0", "http://10.0.0.9:3000"))
    assert (check.ok, check.state) == (False, "unauthorized 401")
    assert check.detail == f"sidecar at http://10.0.0.9:3000 requires a token (401): {HINT}"


class _udp_sink:
    """A UDP socket on loopback that swallows the samples (nothing counts them)."""

    def __enter__(self) -> str:
        import socket

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{self._socket.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self._socket.close()


# ---- Prometheus with credentials_file ---------------------------------------------------------


def scrape_config(target: str, credentials: Path) -> str:
    """The scrape config the docs show, for one static target."""
    return (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: stashkit\n"
        "    authorization:\n"
        f"      credentials_file: {credentials}\n"
        "    static_configs:\n"
        f"      - targets: ['{target}']\n"
    )


@pytest.mark.real
@pytest.mark.parametrize(("credential", "health"), [(TOKEN, "up"), (WRONG, "down")])
def test_prometheus_should_scrape_with_the_token_from_credentials_file(
    server: tuple[TokenSidecar, str], tmp_path: Path, credential: str, health: str
) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus is not installed (ci/install-system-deps.sh installs it)")
    sidecar, url = server
    config = tmp_path / "prometheus.yml"
    config.write_text(scrape_config(url.split("://")[1], token_file(tmp_path, credential)))
    port = free_port()
    with subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            target: dict[str, Any] = {}

            def scraped() -> bool:
                assert process.poll() is None, "prometheus exited"
                try:
                    body = httpx.get(f"http://127.0.0.1:{port}/api/v1/targets", timeout=1).json()
                except (httpx.HTTPError, ValueError):
                    return False
                active = body["data"]["activeTargets"]
                target.update(active[0] if active else {})
                return target.get("health") in ("up", "down")

            wait_until(scraped, 30, "prometheus did not scrape the sidecar")
        finally:
            process.terminate()
            process.wait(10)
    assert target["health"] == health, target
    assert sidecar.headers_for("/metrics")[0] == f"Bearer {credential}"
    if health == "down":
        assert "401" in target["lastError"]
