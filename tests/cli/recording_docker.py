"""A fake ``docker`` for the build-push tests: records argv *and stdin*, runs nothing.

:func:`install` writes an executable ``docker`` into a directory the test puts first on PATH.
Each call appends ``{"argv": [...], "stdin": "..." | null}`` to ``$FAKE_DOCKER_LOG`` (stdin is
read only for ``--password-stdin``, as docker does). ``$FAKE_DOCKER_FAIL`` lists subcommands that
exit 1; a failing ``login`` echoes what it read on stdin in its error, like a careless tool might,
so tests can check that stashkit never repeats it. (tests/fakes/fake_docker.py records argv only;
build-push needs the password's path through stdin.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def install(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "docker"
    path.write_text(
        f"#!{sys.executable} -I\n"
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "import recording_docker\n"
        "sys.exit(recording_docker.main(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def main(argv: list[str]) -> int:
    stdin = sys.stdin.read() if "--password-stdin" in argv else None
    with open(os.environ["FAKE_DOCKER_LOG"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"argv": argv, "stdin": stdin}) + "\n")
    command = argv[0] if argv else ""
    if command in os.environ.get("FAKE_DOCKER_FAIL", "").split():
        detail = f": unauthorized: {stdin}" if command == "login" else ""
        print(f"Error response from daemon: fake {command} failure{detail}", file=sys.stderr)
        return 1
    if command == "login":
        print("Login Succeeded")
    elif command == "build":
        print("#0 building with the fake builder")
        print("#1 [internal] load build definition from Dockerfile", file=sys.stderr)
    elif command == "push":
        print(f"The push refers to repository [{argv[-1].rsplit(':', 1)[0]}]")
        print(f"{argv[-1].rsplit(':', 1)[1]}: digest: sha256:{'0' * 64} size: 1234")
    return 0
