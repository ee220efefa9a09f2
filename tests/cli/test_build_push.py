"""`stashkit build-push` through `stashkit.cli.main`: the fake `docker` first on PATH,
boto3 under moto for ECR, a fake Azure credential and an httpx mock transport for the ACR token
exchange, GHCR tokens from a file or the environment."""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import yaml
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from moto import mock_aws

from stashkit import cli, cloud
from stashkit.build_push import PLUGIN_VERSIONS
from stashkit.commands import build_push
from stashkit.config import DEFAULT_LOGSTASH_VERSION, parse_config
from stashkit.errors import RegistryError
from stashkit.registries import ACR_REFRESH_USERNAME, ARM_SCOPE, _decode_ecr_token
from status_sidecar.catalog import default_catalog
from tests.fakes import fake_docker

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"
ECR_HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
ACR_HOST = "stashkitdemo.azurecr.io"
GHCR_TOKEN = "ghp_fakeTokenValue0123456789"
ACR_REFRESH = "acr-refresh-token-abc123"
AAD_TOKEN = "aad-access-token-xyz"


class FakeCredential:
    """azure-identity's interface: get_token(*scopes) -> AccessToken."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        if self.fail:
            raise ClientAuthenticationError(
                "DefaultAzureCredential failed to retrieve a token from the included "
                "credentials.\nAttempted credentials:\n\tEnvironmentCredential: incomplete"
            )
        return AccessToken(AAD_TOKEN, 4_102_444_800)


@dataclass
class World:
    """Everything one test controls: environment, fake docker, cloud fakes, output."""

    tmp: Path
    environ: dict[str, str]
    docker_log: Path
    credential: FakeCredential = field(default_factory=FakeCredential)
    exchange_status: int = 200
    exchanges: list[httpx.Request] = field(default_factory=list)

    def http_client(self) -> httpx.Client:
        def handler(request: httpx.Request) -> httpx.Response:
            self.exchanges.append(request)
            if self.exchange_status != 200:
                body = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
                return httpx.Response(self.exchange_status, json=body)
            return httpx.Response(200, json={"refresh_token": ACR_REFRESH})

        return httpx.Client(transport=httpx.MockTransport(handler))

    def calls(self) -> list[fake_docker.Call]:
        return fake_docker.read_log(self.docker_log)

    def call(self, command: str) -> fake_docker.Call:
        (found,) = [c for c in self.calls() if c["argv"][0] == command]
        return found


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    bin_dir = tmp_path / "bin"
    fake_docker.install(bin_dir)
    environ = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",  # the fake docker shadows the machine's real one
        "HOME": str(tmp_path),
        "FAKE_CLI_LOG": str(tmp_path / "docker-calls.jsonl"),
    }
    state = World(tmp_path, environ, Path(environ["FAKE_CLI_LOG"]))
    factories = dataclasses.replace(
        cloud.DEFAULT_FACTORIES,
        azure_credential=lambda: state.credential,
        registry_http_client=state.http_client,
        environ=lambda: state.environ,
    )
    monkeypatch.setattr(cloud, "DEFAULT_FACTORIES", factories)
    # boto3 reads the process environment: dummy credentials, a region, no endpoint override.
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return state


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["build-push", *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return _run


def _error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("stashkit: ")]
    return lines[-1]


def _assert_secret_only_on_stdin(world: World, secret: str) -> None:
    login = world.call("login")
    assert login["stdin"] == secret
    assert "--password-stdin" in login["argv"]
    for call in world.calls():
        assert secret not in " ".join(call["argv"])
        assert all("password" not in a.lower() or a == "--password-stdin" for a in call["argv"])


def _tags(build_argv: list[str]) -> list[str]:
    return [build_argv[i + 1] for i, a in enumerate(build_argv) if a == "--tag"]


def _build_args(build_argv: list[str]) -> dict[str, str]:
    pairs = [build_argv[i + 1] for i, a in enumerate(build_argv) if a == "--build-arg"]
    return dict(p.split("=", 1) for p in pairs)


# --------------------------------------------------------------------------------------------
# ECR (moto)
# --------------------------------------------------------------------------------------------


def test_should_create_the_ecr_repository_log_in_build_and_push(
    world: World, aws: None, run: Run
) -> None:
    code, out, err = run(
        "--registry", "ecr", "--region", REGION, "--repository", "stashkit/status-sidecar",
        "--tag", "0.1.0", "--create-repository",
    )  # fmt: skip
    assert code == 0, err
    reference = f"{ECR_HOST}/stashkit/status-sidecar:0.1.0"
    assert out == reference + "\n"

    ecr = boto3.client("ecr", region_name=REGION)
    (repo,) = ecr.describe_repositories(repositoryNames=["stashkit/status-sidecar"])["repositories"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert "created ECR repository stashkit/status-sidecar in eu-west-1" in err

    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":", 1)
    login = world.call("login")
    assert login["argv"] == ["login", "--username", user, "--password-stdin", ECR_HOST]
    assert user == "AWS"
    _assert_secret_only_on_stdin(world, password)

    build = world.call("build")["argv"]
    assert build[:4] == ["build", "--file", str(REPO / "sidecar" / "Dockerfile"), "--platform"]
    assert build[4] == "linux/amd64"
    assert _tags(build) == [reference]
    assert _build_args(build) == {"IMAGE_VERSION": "0.1.0"}
    assert build[-1] == str(REPO / "sidecar")
    assert [c["argv"] for c in world.calls() if c["argv"][0] == "push"] == [["push", reference]]
    assert [c["argv"][0] for c in world.calls()] == ["login", "build", "push"]
    assert "The push refers to repository" in err  # docker's output is relayed on stderr
    config = parse_config(
        {
            "output_type": "splunk-hec",
            "sidecar_image": out.strip(),
            "destination": {"SPLUNK_ADDRESS": "https://splunk.example.com"},
        },
        default_catalog(),
    )
    assert config.sidecar_image == reference  # what `render` takes as sidecar_image


def test_should_use_an_existing_ecr_repository_and_print_json(
    world: World, aws: None, run: Run
) -> None:
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="sidecar")
    code, out, err = run(
        "--registry", "ecr", "--repository", "sidecar", "--tag", "v2", "--json",
        "--platform", "linux/arm64",
    )  # fmt: skip
    assert code == 0, err
    assert "created" not in err
    assert build_push.json.loads(out) == {
        "image": f"{ECR_HOST}/sidecar:v2",
        "references": [f"{ECR_HOST}/sidecar:v2"],
        "tags": ["v2"],
        "registry": "ecr",
        "server": ECR_HOST,
    }
    assert "linux/arm64" in world.call("build")["argv"]


def test_should_refuse_a_missing_ecr_repository_without_create(
    world: World, aws: None, run: Run
) -> None:
    code, _, err = run("--registry", "ecr", "--repository", "absent", "--tag", "1")
    assert code == 1
    assert _error(err) == (
        "stashkit: ECR repository absent does not exist in eu-west-1 "
        "(pass --create-repository to create it)"
    )
    assert world.calls() == []


def test_should_ask_for_a_region_when_there_is_none(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    code, _, err = run("--registry", "ecr", "--repository", "rr", "--tag", "1")
    assert code == 2
    assert _error(err) == (
        "stashkit: no AWS region: pass --region or set AWS_REGION or AWS_DEFAULT_REGION"
    )


def test_should_take_the_region_from_aws_region(
    world: World, aws: None, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-2")
    code, out, err = run(
        "--registry", "ecr", "--repository", "rr", "--tag", "1", "--create-repository"
    )  # fmt: skip
    assert code == 0, err
    assert out == f"{ACCOUNT}.dkr.ecr.us-east-2.amazonaws.com/rr:1\n"


def test_should_explain_missing_aws_credentials_in_one_line(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookup
    code, _, err = run("--registry", "ecr", "--repository", "rr", "--tag", "1")
    assert code == 1
    assert _error(err).startswith("stashkit: ECR: no AWS credentials (set AWS_PROFILE")
    assert world.calls() == []


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.b64encode(b"no-colon").decode(),
        base64.b64encode(b"AWS:").decode(),
    ],
)
def test_should_refuse_a_malformed_ecr_token(token: str) -> None:
    with pytest.raises(RegistryError, match="not base64 user:password"):
        _decode_ecr_token(token)


# --------------------------------------------------------------------------------------------
# Logstash images and the SHA tag
# --------------------------------------------------------------------------------------------


def test_should_build_logstash_with_the_catalogs_pinned_plugins(
    world: World, aws: None, run: Run
) -> None:
    code, out, err = run(
        "--registry", "ecr", "--repository", "logstash-zabbix", "--create-repository",
        "--tag", "8.19.3-1", "--image", "logstash-zabbix",
    )  # fmt: skip
    assert code == 0, err
    build = world.call("build")["argv"]
    assert _build_args(build) == {
        "LOGSTASH_VERSION": DEFAULT_LOGSTASH_VERSION,
        "LOGSTASH_PLUGINS": "logstash-output-zabbix:3.0.5",
    }
    assert build[2] == str(REPO / "templates" / "logstash" / "Dockerfile")
    assert build[-1] == str(REPO / "templates" / "logstash")
    assert out == f"{ECR_HOST}/logstash-zabbix:8.19.3-1\n"
    # The printed reference is what the deployment config takes as logstash_image.
    config = parse_config(
        {
            "output_type": "zabbix",
            "logstash_image": out.strip(),
            "destination": {"ZABBIX_SERVER": "zabbix.example.com"},
        },
        default_catalog(),
    )
    assert config.logstash_image == out.strip()


def test_should_pass_the_logstash_version(world: World, aws: None, run: Run) -> None:
    code, _, err = run(
        "--registry", "ecr", "--repository", "ls", "--create-repository", "--tag", "a",
        "--image", "logstash-azure-log-ingestion", "--logstash-version", "9.1.2",
    )  # fmt: skip
    assert code == 0, err
    assert _build_args(world.call("build")["argv"]) == {
        "LOGSTASH_VERSION": "9.1.2",
        "LOGSTASH_PLUGINS": "microsoft-sentinel-log-analytics-logstash-output-plugin:1.1.4",
    }


def test_plugin_pins_should_cover_the_catalog_and_match_the_ci_workflow() -> None:
    catalog = default_catalog()
    needed = {p for out in catalog.output_types.values() for p in out.logstash_plugins}
    assert set(PLUGIN_VERSIONS) == needed
    workflow = yaml.safe_load((REPO / "ci" / "workflows" / "build-push.yml").read_text())
    matrix = workflow["jobs"]["build-push"]["strategy"]["matrix"]["include"]
    pinned = {
        spec.split(":")[0]: spec.split(":")[1]
        for entry in matrix
        for spec in entry["logstash_plugins"].split()
    }
    assert pinned == dict(PLUGIN_VERSIONS)


def _git(repo: Path, *args: str) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo.parent),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git checkout holding the two Dockerfiles, committed."""
    repo = tmp_path / "checkout"
    for rel in ("sidecar/Dockerfile", "templates/logstash/Dockerfile"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, repo / rel)
    (repo / "README.md").write_text("checkout\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "initial")
    return repo


def test_should_also_tag_and_push_the_git_short_sha(
    world: World, aws: None, run: Run, checkout: Path
) -> None:
    sha = _git(checkout, "rev-parse", "--short=7", "HEAD")
    (checkout / "README.md").write_text("changed outside the build context\n")
    code, out, err = run(
        "--registry", "ecr", "--repository", "sc", "--create-repository", "--tag", "0.2.0",
        "--also-tag-sha", "--source", str(checkout),
    )  # fmt: skip
    assert code == 0, err
    refs = [f"{ECR_HOST}/sc:0.2.0", f"{ECR_HOST}/sc:sha-{sha}"]
    assert _tags(world.call("build")["argv"]) == refs
    assert [c["argv"][1] for c in world.calls() if c["argv"][0] == "push"] == refs
    assert out == refs[0] + "\n"  # the reference `render` takes


def test_should_prefix_the_sha_tag_of_logstash_images_with_the_version(
    world: World, aws: None, run: Run, checkout: Path
) -> None:
    sha = _git(checkout, "rev-parse", "--short=7", "HEAD")
    code, _, err = run(
        "--registry", "ecr", "--repository", "lz", "--create-repository", "--tag", "x",
        "--also-tag-sha", "--source", str(checkout), "--image", "logstash-zabbix",
    )  # fmt: skip
    assert code == 0, err
    assert _tags(world.call("build")["argv"])[1] == f"{ECR_HOST}/lz:8.19.3-sha-{sha}"


def test_should_refuse_the_sha_tag_when_the_build_context_is_dirty(
    world: World, run: Run, checkout: Path
) -> None:
    (checkout / "sidecar" / "Dockerfile").write_text("FROM scratch\n")
    code, _, err = run(
        "--registry", "ecr", "--repository", "sc", "--tag", "1", "--also-tag-sha",
        "--source", str(checkout),
    )  # fmt: skip
    assert code == 2
    assert _error(err) == (
        f"stashkit: --also-tag-sha: {checkout / 'sidecar'} has uncommitted changes; commit them "
        "first (the tag must name what was built)"
    )
    assert world.calls() == []


def test_should_refuse_the_sha_tag_outside_a_git_checkout(
    world: World, run: Run, tmp_path: Path
) -> None:
    source = tmp_path / "plain"
    (source / "sidecar").mkdir(parents=True)
    (source / "sidecar" / "Dockerfile").write_text("FROM scratch\n")
    code, _, err = run(
        "--registry", "ghcr", "--repository", "o/n", "--tag", "1", "--also-tag-sha",
        "--source", str(source),
    )  # fmt: skip
    assert code == 2
    assert "is not usable as a git checkout" in _error(err)


# --------------------------------------------------------------------------------------------
# ACR (fake credential, token exchange on an httpx mock transport)
# --------------------------------------------------------------------------------------------


def test_should_exchange_an_azure_ad_token_for_an_acr_refresh_token(world: World, run: Run) -> None:
    code, out, err = run(
        "--registry", "acr", "--server", "stashkitdemo", "--repository", "stashkit/sidecar",
        "--tag", "0.1.0",
    )  # fmt: skip
    assert code == 0, err
    assert out == f"{ACR_HOST}/stashkit/sidecar:0.1.0\n"
    assert world.credential.scopes == [(ARM_SCOPE,)]
    (request,) = world.exchanges
    assert (request.method, str(request.url)) == ("POST", f"https://{ACR_HOST}/oauth2/exchange")
    form = dict(urllib.parse.parse_qsl(request.content.decode()))
    assert form == {"grant_type": "access_token", "service": ACR_HOST, "access_token": AAD_TOKEN}
    login = world.call("login")
    assert login["argv"] == [
        "login",
        "--username",
        ACR_REFRESH_USERNAME,
        "--password-stdin",
        ACR_HOST,
    ]
    _assert_secret_only_on_stdin(world, ACR_REFRESH)
    for call in world.calls():
        assert AAD_TOKEN not in " ".join(call["argv"]) + str(call["stdin"])


def test_should_use_acr_admin_credentials_from_the_environment(
    world: World, run: Run, tmp_path: Path
) -> None:
    secret = tmp_path / "acr-password"
    secret.write_text("admin-pass-42\n")
    world.environ.update({"ACR_USERNAME": "stashkitdemo", "ACR_PASSWORD_FILE": str(secret)})
    code, _, err = run(
        "--registry", "acr", "--server", ACR_HOST, "--repository", "s", "--tag", "1",
    )  # fmt: skip
    assert code == 0, err
    assert world.exchanges == [] and world.credential.scopes == []
    assert world.call("login")["argv"][2] == "stashkitdemo"
    _assert_secret_only_on_stdin(world, "admin-pass-42")


def test_should_report_a_refused_token_exchange_in_one_line(world: World, run: Run) -> None:
    world.exchange_status = 401
    code, _, err = run("--registry", "acr", "--server", "stashkitdemo", "--repository", "s",
                       "--tag", "1")  # fmt: skip
    assert code == 1
    assert _error(err) == (
        f"stashkit: ACR token exchange with {ACR_HOST}: HTTP 401: authentication required"
    )
    assert world.calls() == []


def test_should_report_a_failed_azure_sign_in_in_one_line(world: World, run: Run) -> None:
    world.credential = FakeCredential(fail=True)
    code, _, err = run("--registry", "acr", "--server", "stashkitdemo", "--repository", "s",
                       "--tag", "1")  # fmt: skip
    assert code == 1
    assert _error(err) == (
        "stashkit: Azure sign-in failed: DefaultAzureCredential failed to retrieve a token "
        "from the included credentials."
    )


def test_should_need_both_acr_admin_settings(world: World, run: Run) -> None:
    world.environ["ACR_USERNAME"] = "admin"
    code, _, err = run("--registry", "acr", "--server", "r", "--repository", "s", "--tag", "1")
    assert code == 2
    assert "need both ACR_USERNAME and ACR_PASSWORD" in _error(err)


# --------------------------------------------------------------------------------------------
# GHCR
# --------------------------------------------------------------------------------------------


def test_should_log_in_to_ghcr_with_a_token_file(world: World, run: Run, tmp_path: Path) -> None:
    token_file = tmp_path / "ghcr-token"
    token_file.write_text(GHCR_TOKEN + "\n")
    code, out, err = run(
        "--registry", "ghcr", "--repository", "example/status-sidecar", "--tag", "0.1.0",
        "--username", "octocat", "--token-file", str(token_file),
    )  # fmt: skip
    assert code == 0, err
    assert out == "ghcr.io/example/status-sidecar:0.1.0\n"
    assert world.call("login")["argv"] == [
        "login", "--username", "octocat", "--password-stdin", "ghcr.io",
    ]  # fmt: skip
    _assert_secret_only_on_stdin(world, GHCR_TOKEN)
    assert GHCR_TOKEN not in out + err


def test_should_take_the_ghcr_token_and_user_from_the_environment(world: World, run: Run) -> None:
    world.environ.update({"GHCR_TOKEN": GHCR_TOKEN, "GITHUB_ACTOR": "ci-bot"})
    code, _, err = run("--registry", "ghcr", "--repository", "o/n", "--tag", "1")
    assert code == 0, err
    assert world.call("login")["argv"][2] == "ci-bot"
    _assert_secret_only_on_stdin(world, GHCR_TOKEN)


@pytest.mark.parametrize(
    ("args", "environ", "message"),
    [
        ([], {"GITHUB_ACTOR": "x"}, "GHCR needs a token: pass --token-file FILE or set GHCR_TOKEN"),
        ([], {"GHCR_TOKEN": GHCR_TOKEN}, "GHCR needs a username"),
        (["--token-file", "/nonexistent/token"], {"GITHUB_ACTOR": "x"}, "cannot read"),
    ],
)
def test_should_explain_missing_ghcr_credentials(
    world: World, run: Run, args: list[str], environ: dict[str, str], message: str
) -> None:
    world.environ.update(environ)
    code, _, err = run("--registry", "ghcr", "--repository", "o/n", "--tag", "1", *args)
    assert code == 2
    assert message in _error(err)
    assert GHCR_TOKEN not in err
    assert world.calls() == []


# --------------------------------------------------------------------------------------------
# docker failures and usage errors
# --------------------------------------------------------------------------------------------


def test_should_never_repeat_the_password_when_docker_login_fails(world: World, run: Run) -> None:
    world.environ.update(
        {"GHCR_TOKEN": GHCR_TOKEN, "GITHUB_ACTOR": "x", "FAKE_DOCKER_FAIL": "login"}
    )
    code, out, err = run("--registry", "ghcr", "--repository", "o/n", "--tag", "1")
    assert code == 1
    assert _error(err) == (
        "stashkit: docker login ghcr.io failed (exit 1): Error response from daemon: fake login "
        "failure: unauthorized: ***"
    )
    assert GHCR_TOKEN not in out + err
    assert [c["argv"][0] for c in world.calls()] == ["login"]


def test_should_stop_before_pushing_when_the_build_fails(world: World, run: Run) -> None:
    world.environ.update(
        {"GHCR_TOKEN": GHCR_TOKEN, "GITHUB_ACTOR": "x", "FAKE_DOCKER_FAIL": "build"}
    )
    code, _, err = run("--registry", "ghcr", "--repository", "o/n", "--tag", "1")
    assert code == 1
    assert _error(err) == "stashkit: docker build failed (exit 1); its messages are above"
    assert "fake build failure" in err
    assert [c["argv"][0] for c in world.calls()] == ["login", "build"]


def test_should_need_docker_before_any_cloud_call(world: World, run: Run) -> None:
    world.environ["PATH"] = str(world.tmp / "empty")
    code, _, err = run("--registry", "acr", "--server", "r", "--repository", "s", "--tag", "1")
    assert code == 1
    assert _error(err) == "stashkit: the docker command line was not found on PATH"
    assert world.credential.scopes == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--registry", "ecr", "--repository", "Upper", "--tag", "1"], "not a repository name"),
        (["--registry", "ecr", "--repository", "r", "--tag", "a:b"], "not an image tag"),
        (["--registry", "ecr", "--repository", "r", "--tag", "1", "--platform", "amd64"],
         "not one platform"),
        (["--registry", "ghcr", "--repository", "o/n", "--tag", "1", "--region", "x"],
         "--region applies to --registry ecr only"),
        (["--registry", "ecr", "--repository", "r", "--tag", "1", "--server", "x"],
         "--server applies to --registry acr only"),
        (["--registry", "acr", "--repository", "r", "--tag", "1"], "needs --server"),
        (["--registry", "acr", "--server", "bad host", "--repository", "r", "--tag", "1"],
         "not a registry host name"),
        (["--registry", "ghcr", "--repository", "noowner", "--tag", "1"], "must be OWNER/NAME"),
        (["--registry", "ecr", "--repository", "r", "--tag", "1", "--image", "logstash-splunk-hec"],
         "invalid choice"),
        (["--registry", "ecr", "--repository", "r", "--tag", "1", "--image", "logstash-zabbix",
          "--logstash-version", "latest"], "is not X.Y.Z"),
        (["--registry", "ecr", "--repository", "r", "--tag", "1", "--source", "/nonexistent"],
         "run from a stashkit checkout or pass --source"),
        (["--registry", "quay", "--repository", "r", "--tag", "1"], "invalid choice"),
        (["--repository", "r", "--tag", "1"], "the following arguments are required: --registry"),
    ],
)  # fmt: skip
def test_should_report_usage_errors_in_one_line(
    world: World, run: Run, args: list[str], message: str
) -> None:
    world.environ.update({"GHCR_TOKEN": GHCR_TOKEN, "GITHUB_ACTOR": "x"})
    code, _, err = run(*args)
    assert code == 2
    assert message in _error(err)
    assert world.calls() == []


def test_should_show_examples_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["build-push", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "examples:\n" in out
    assert "stashkit build-push --registry ecr" in out
    assert "--password-stdin" in out


def test_the_fake_docker_is_first_on_path(world: World) -> None:
    assert shutil.which("docker", path=world.environ["PATH"]) == str(world.tmp / "bin" / "docker")
    assert os.access(world.tmp / "bin" / "docker", os.X_OK)
