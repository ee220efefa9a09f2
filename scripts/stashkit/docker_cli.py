"""The docker command line, as ``stashkit build-push`` uses it: login, build, push.

Passwords reach ``docker login`` on its stdin (``--password-stdin``) and nowhere else: not argv
(visible in ``ps`` and shell history), not the environment, not a file. The output of
``build`` and ``push`` is relayed line by line to a stream (stderr), so stdout stays for the
pushed reference.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from .errors import DockerError

__all__ = ["DockerCli"]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


class DockerCli:
    """Runs ``docker``; ``environ`` is the child's environment (its PATH finds the binary)."""

    def __init__(
        self,
        output: TextIO,
        *,
        binary: str = "docker",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.output = output
        self.environ = dict(os.environ if environ is None else environ)
        found = shutil.which(binary, path=self.environ.get("PATH", os.defpath))
        self._binary = found
        self._name = binary

    @property
    def binary(self) -> str:
        if self._binary is None:
            raise DockerError(f"the {self._name} command line was not found on PATH")
        return self._binary

    def require(self) -> str:
        """The docker binary's path; :class:`DockerError` when there is none on PATH."""
        return self.binary

    def login(self, server: str, username: str, password: str) -> None:
        """``docker login --username U --password-stdin SERVER``, the password on stdin."""
        argv = [self.binary, "login", "--username", username, "--password-stdin", server]
        try:
            result = subprocess.run(
                argv,
                input=password,
                capture_output=True,
                text=True,
                env=self.environ,
                check=False,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DockerError(f"docker login {server}: {exc}") from exc
        if result.returncode != 0:
            reason = _last_line(result.stderr or result.stdout)
            if password and password in reason:  # never echo it, whatever docker says
                reason = reason.replace(password, "***")
            raise DockerError(f"docker login {server} failed (exit {result.returncode}): {reason}")
        if result.stderr.strip() and password not in result.stderr:
            self.output.write(result.stderr)  # docker's warnings (credential storage...)
            self.output.flush()

    def build(
        self,
        context: Path,
        *,
        dockerfile: Path,
        tags: Sequence[str],
        platform: str,
        build_args: Mapping[str, str],
    ) -> None:
        argv = [self.binary, "build", "--file", str(dockerfile), "--platform", platform]
        for tag in tags:
            argv += ["--tag", tag]
        for name, value in build_args.items():
            argv += ["--build-arg", f"{name}={value}"]
        argv.append(str(context))
        self._stream(argv, "docker build")

    def push(self, reference: str) -> None:
        self._stream([self.binary, "push", reference], f"docker push {reference}")

    def _stream(self, argv: Sequence[str], what: str) -> None:
        """Run ``argv``, relaying its output (stdout and stderr) line by line."""
        try:
            with subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                env=self.environ,
            ) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    self.output.write(line)
                    self.output.flush()
                code = proc.wait()
        except OSError as exc:
            raise DockerError(f"{what}: {exc.strerror or exc}") from exc
        if code != 0:
            raise DockerError(f"{what} failed (exit {code}); its messages are above")
