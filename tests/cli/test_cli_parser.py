"""The `stashkit` parser: unknown options named with the right help, wrapped descriptions, the
warning about environment variables that given flags replace, and the exit-code rule."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from stashkit import cli
from stashkit.commands import COMMANDS
from stashkit.errors import ConfigError, StashkitError, UsageError, exit_code_for
from stashkit.sidecar_auth import TOKEN_FILE_ENV


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    code = cli.main(argv, stderr=err)
    return code, err.getvalue()


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--bogus"], "stashkit: unknown option --bogus (see `stashkit --help`)"),
        (["--bogus", "--worse"],
         "stashkit: unknown options --bogus --worse (see `stashkit --help`)"),
        (["--deb", "--bogus", "plan"], "stashkit: unknown option --bogus (see `stashkit --help`)"),
        (["--bogus", "plan"], "stashkit: unknown option --bogus (see `stashkit --help`)"),
        ([], "stashkit: a COMMAND is required: one of " + ", ".join(COMMANDS)
         + " (see `stashkit --help`)"),
        (["fleet", "--url", "http://127.0.0.1:9", "--bogus"],
         "stashkit: unknown option --bogus (see `stashkit fleet --help`)"),
        (["render", "azure-aci", "--config", "x.toml", "surplus"],
         "stashkit: unexpected argument surplus (see `stashkit render --help`)"),
    ],
)  # fmt: skip
def test_should_name_the_unknown_option_and_the_help_that_lists_the_right_ones(
    argv: list[str], line: str
) -> None:
    code, err = _run(argv)
    assert (code, err) == (2, line + "\n")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"stashkit": parser, **action.choices}


@pytest.mark.parametrize("command", ["stashkit", *COMMANDS])
def test_should_wrap_every_description(command: str) -> None:
    description = _parsers()[command].description or ""
    assert description
    assert max(len(line) for line in description.splitlines()) <= cli.HELP_WIDTH


def test_should_keep_short_preformatted_lines_and_wrap_long_ones_with_their_indent() -> None:
    text = "short line\n  indented: " + "word " * 30 + "\n    kept as is"
    wrapped = cli.wrap_description(text, width=40)
    assert wrapped is not None
    lines = wrapped.splitlines()
    assert lines[0] == "short line"
    assert lines[-1] == "    kept as is"
    assert all(len(line) <= 40 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:-1])


def test_apply_example_keeps_its_line_continuation(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["apply", "--help"])
    out = capsys.readouterr().out
    assert "stashkit apply azure-aci \\\n      --config stashkit.toml" in out


# --------------------------------------------------------------------------------------------
# Flags that replace environment variables
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "environ", "ignored"),
    [
        (["discover", "--aws-asg", "g", "--region", "eu-west-1", "--out", "x.json"],
         {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-2"},
         ["AWS_REGION (--region)", "AWS_DEFAULT_REGION (--region)"]),
        (["discover", "--azure-resource-group", "rg", "--subscription", "s", "--out", "x.json"],
         {"AZURE_SUBSCRIPTION_ID": "other"}, ["AZURE_SUBSCRIPTION_ID (--subscription)"]),
        (["discover", "--kubernetes", "--kubeconfig", "k", "--out", "x.json"],
         {"KUBECONFIG": "/elsewhere"}, ["KUBECONFIG (--kubeconfig)"]),
        (["fleet", "--url", "http://127.0.0.1:9", "--token-file", "t"],
         {TOKEN_FILE_ENV: "/other"}, [f"{TOKEN_FILE_ENV} (--token-file)"]),
        (["build-push", "--registry", "ghcr", "--repository", "o/r", "--tag", "1",
          "--token-file", "t", "--username", "u"],
         {"GHCR_TOKEN": "x", "GHCR_USERNAME": "v", TOKEN_FILE_ENV: "/not-for-build-push"},
         ["GHCR_TOKEN (--token-file)", "GHCR_USERNAME (--username)"]),
        (["plan", "azure-aci", "--var", "location=westeurope", "--var", "name=x"],
         {"TF_VAR_location": "northeurope", "TF_VAR_other": "y"},
         ["TF_VAR_location (--var location)"]),
        (["fleet", "--url", "http://127.0.0.1:9"], {TOKEN_FILE_ENV: "/used"}, []),
        (["discover", "--aws-asg", "g", "--out", "x.json"], {"AWS_REGION": "used"}, []),
        (["discover", "--aws-asg", "g", "--region", "r", "--out", "x.json"], {"AWS_REGION": ""},
         []),
    ],
)  # fmt: skip
def test_should_name_the_environment_variables_given_flags_replace(
    argv: list[str], environ: dict[str, str], ignored: list[str]
) -> None:
    args = cli.parse(cli.build_parser(), argv)
    assert cli.ignored_environment(args, environ) == ignored


def test_should_print_one_warning_line_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_FILE_ENV, "/run/secrets/not-this-one")
    missing = tmp_path / "targets.json"
    code, err = _run(["fleet", "--targets", str(missing), "--token-file", str(tmp_path / "t")])
    lines = err.splitlines()
    assert lines[0] == (
        "stashkit: warning: the flags given replace these environment variables, which are "
        f"ignored: {TOKEN_FILE_ENV} (--token-file)"
    )
    assert len([line for line in lines if line.startswith("stashkit: warning")]) == 1
    assert "/run/secrets/not-this-one" not in err  # names only, never values
    assert code == 2  # the missing targets file, reported after the warning


# --------------------------------------------------------------------------------------------
# Exit codes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "plain", "detailed"),
    [
        (UsageError("u"), 2, 1),
        (ConfigError("c"), 2, 1),
        (StashkitError("runtime"), 1, 1),
    ],
)
def test_should_never_exit_2_for_an_error_with_detailed_exitcode(
    error: StashkitError, plain: int, detailed: int
) -> None:
    assert exit_code_for(error, detailed_exitcode=False) == plain
    assert exit_code_for(error, detailed_exitcode=True) == detailed


def test_should_exit_1_for_a_usage_error_with_detailed_exitcode() -> None:
    code, err = _run(["plan", "no-such-deployment", "--detailed-exitcode"])
    assert code == 1
    assert err.startswith("stashkit: argument DEPLOYMENT: invalid choice")
