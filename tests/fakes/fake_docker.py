"""A fake ``docker`` (and ``aws``) command line for running rendered scripts in tests.

Install it with :func:`install` into a directory put first on ``PATH``: it writes one executable
per tool name whose shebang is this interpreter. Each call appends one JSON line
``{"tool": ..., "argv": [...]}`` to the file named by ``FAKE_CLI_LOG`` and exits 0; nothing is
ever run. Behaviour knobs (environment):

* ``FAKE_SSM_VALUES``: a JSON file ``{"<parameter name>": "<value>"}``; ``aws ssm get-parameter
  --name N ...`` prints the value of N (exit 255 and an error when N is unknown, like the CLI).
* ``FAKE_DOCKER_FAIL``: a space-separated list of docker subcommand pairs (``network:create``)
  that exit 1, as a real docker does when the network already exists.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs 10 ms per call
if TYPE_CHECKING:  # pathlib imports re: the per-call path stays lean
    from pathlib import Path

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


def read_log(path: Path) -> list[tuple[str, list[str]]]:
    """The recorded calls: (tool, argv without the tool name)."""
    import json

    if not path.exists():
        return []
    calls = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        calls.append((record["tool"], record["argv"]))
    return calls


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


def main(tool: str | None = None) -> int:
    tool = tool or os.path.basename(sys.argv[0])
    argv = sys.argv[1:]
    log = os.environ.get("FAKE_CLI_LOG")
    if log:
        line = '{"tool": %s, "argv": [%s]}\n' % (  # noqa: UP031
            _json_string(tool),
            ", ".join(_json_string(a) for a in argv),
        )
        with open(log, "a", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(line)
    if tool == "aws":
        return _aws(argv)
    failing = os.environ.get("FAKE_DOCKER_FAIL", "").split()
    if len(argv) >= 2 and f"{argv[0]}:{argv[1]}" in failing:
        print(f"Error response from daemon: fake failure of {argv[0]} {argv[1]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
