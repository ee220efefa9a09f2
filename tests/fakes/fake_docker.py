"""The fake ``docker`` (and ``aws``) command line of the tests: records every call, runs nothing.

Install it with :func:`install` into a directory put first on ``PATH``: it writes one executable
per tool name whose shebang is this interpreter. It serves the rendered container scripts
(tests/templates/test_scripts.py: ``docker network``/``rm``/``run`` and ``aws ssm``) and
``stashkit build-push`` (tests/cli/test_build_push.py: ``docker login``/``build``/``push``).

Each call appends one JSON line ``{"tool": ..., "argv": [...], "stdin": ...}`` to the file named
by ``FAKE_CLI_LOG`` (no log when unset); ``argv`` is without the tool name, ``stdin`` is what the
call read on stdin, or null: stdin is read only for ``--password-stdin``, as docker does, so a
test can follow a password through stdin and check it never reaches argv. :func:`read_log`
reads the file back. Behaviour knobs (environment):

* ``FAKE_SSM_VALUES``: a JSON file ``{"<parameter name>": "<value>"}``; ``aws ssm get-parameter
  --name N ...`` prints the value of N (exit 255 and an error when N is unknown, like the CLI).
* ``FAKE_DOCKER_FAIL``: a space-separated list of docker commands that exit 1 with an ``Error
  response from daemon`` message: an entry is a subcommand (``login``, ``build``) or a
  colon-separated argv prefix (``network:create``, ``rm:-f``), as a real docker fails when the
  network already exists. A failing ``login`` echoes what it read on stdin in its error, as a
  careless tool might, so tests can check that stashkit never repeats it.

Otherwise docker exits 0; ``login``, ``build`` and ``push`` print a few lines of what the real
one prints (``Login Succeeded``, build progress on stderr, ``The push refers to repository``).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs 10 ms per call
if TYPE_CHECKING:  # pathlib imports re: the per-call path stays lean
    from pathlib import Path
    from typing import TypedDict

    class Call(TypedDict):
        """One recorded call, as :func:`read_log` returns it (a type for mypy only)."""

        tool: str
        argv: list[str]
        stdin: str | None


TOOLS = ("docker", "aws")


def install(bin_dir: Path) -> Path:
    """Write ``docker`` and ``aws`` into ``bin_dir``; returns ``bin_dir``."""
    from pathlib import Path

    bin_dir.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).resolve()
    for tool in TOOLS:
        path = bin_dir / tool
        path.write_text(
            f"#!{sys.executable} -IS\n"
            "import sys\n"
            f"sys.path.insert(0, {str(source.parent)!r})\n"
            "import fake_docker\n"
            f"sys.exit(fake_docker.main({tool!r}))\n",
            encoding="utf-8",
        )
        path.chmod(0o755)
    return bin_dir


def _json_string(text: str) -> str:
    """A JSON string literal, written by hand: importing json (and re) costs more than the rest
    of a call, and the fake runs several times per script."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def read_log(path: Path) -> list[Call]:
    """The recorded calls, in order (none when the log was never written)."""
    import json

    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _aws(argv: list[str]) -> int:
    if argv[:2] != ["ssm", "get-parameter"] or "--name" not in argv:
        print(f"fake aws: unsupported call {argv}", file=sys.stderr)
        return 2
    import json

    name = argv[argv.index("--name") + 1]
    values_file = os.environ.get("FAKE_SSM_VALUES")
    values = {}
    if values_file:
        with open(values_file, encoding="utf-8") as handle:
            values = json.load(handle)
    if name not in values:
        print(
            "An error occurred (ParameterNotFound) when calling the GetParameter operation:",
            file=sys.stderr,
        )
        return 255
    # `--output text` prints the value and a newline, as the real CLI does.
    sys.stdout.write(values[name] + "\n")
    return 0


def _failing(argv: list[str]) -> list[str] | None:
    """The ``FAKE_DOCKER_FAIL`` entry (split at its colons) that ``argv`` starts with, if any."""
    for entry in os.environ.get("FAKE_DOCKER_FAIL", "").split():
        prefix = entry.split(":")
        if argv[: len(prefix)] == prefix:
            return prefix
    return None


def _docker(argv: list[str], stdin: str | None) -> int:
    command = argv[0] if argv else ""
    failing = _failing(argv)
    if failing is not None:
        detail = f": unauthorized: {stdin}" if command == "login" and stdin is not None else ""
        print(
            f"Error response from daemon: fake {' '.join(failing)} failure{detail}",
            file=sys.stderr,
        )
        return 1
    if command == "login":
        print("Login Succeeded")
    elif command == "build":
        print("#0 building with the fake builder")
        print("#1 [internal] load build definition from Dockerfile", file=sys.stderr)
    elif command == "push" and len(argv) > 1:
        name, colon, tag = argv[-1].rpartition(":")
        if not colon or "/" in tag:  # no tag (a colon there is a registry's port)
            name, tag = argv[-1], "latest"
        print(f"The push refers to repository [{name}]")
        print(f"{tag}: digest: sha256:{'0' * 64} size: 1234")
    return 0


def main(tool: str | None = None) -> int:
    tool = tool or os.path.basename(sys.argv[0])
    argv = sys.argv[1:]
    stdin = sys.stdin.read() if "--password-stdin" in argv else None
    log = os.environ.get("FAKE_CLI_LOG")
    if log:
        line = '{"tool": %s, "argv": [%s], "stdin": %s}\n' % (  # noqa: UP031
            _json_string(tool),
            ", ".join(_json_string(a) for a in argv),
            "null" if stdin is None else _json_string(stdin),
        )
        with open(log, "a", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(line)
    if tool == "aws":
        return _aws(argv)
    return _docker(argv, stdin)


if __name__ == "__main__":
    sys.exit(main())
