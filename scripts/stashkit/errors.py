"""One exception hierarchy for the CLI: each error is one line for the operator and an exit code.

``cli.main`` prints ``stashkit: <message>`` on stderr and returns :attr:`StashkitError.exit_code`;
a traceback is shown only with ``--debug``. Usage and configuration mistakes exit 2 (the operator
must change what they asked for); failures while doing the work exit 1. With
``--detailed-exitcode`` (``stashkit plan``) 2 means "the plan has changes", as it does for
Terraform, so there every error exits 1 (:func:`exit_code_for`): a CI job must never read a
typo as pending changes.

Every error class of the CLI is here, so the whole hierarchy reads in one place::

    StashkitError (1)
    ├── UsageError (2)
    │   └── ConfigError (2)
    ├── RenderError        a template failed to render
    ├── TerraformError     Terraform's own exit code
    ├── CloudError         a cloud API call failed for good
    ├── Stopped            a stop request while waiting to retry
    ├── DockerError        a docker command failed
    ├── RegistryError      logging in to a registry failed
    ├── ReplayError        sending syslog failed
    ├── ReplayFailed       some replayed messages were not sent
    ├── SidecarRefused     a sidecar answered 401
    ├── VerifyFailed       the deployment did not serve in time
    ├── SamplesMissing     samples sent but not all counted
    └── FleetUnhealthy     sidecars unhealthy or unreachable

This module imports nothing but the standard library: the dev stack runs ``stashkit replay``
with the sidecar image's Python (deployments/dev/replay.py).
"""

from __future__ import annotations

__all__ = [
    "DETAILED_CHANGES",
    "CloudError",
    "ConfigError",
    "DockerError",
    "FleetUnhealthy",
    "RegistryError",
    "RenderError",
    "ReplayError",
    "ReplayFailed",
    "SamplesMissing",
    "SidecarRefused",
    "StashkitError",
    "Stopped",
    "TerraformError",
    "UsageError",
    "VerifyFailed",
    "exit_code_for",
]


class StashkitError(Exception):
    """Base of every error the CLI reports as one line; exit code 1 (runtime failure)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        # One line, always: a multi-line message would break the one-line contract.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class UsageError(StashkitError):
    """The command line asked for something that cannot be done (unknown deployment, ...)."""

    exit_code = 2


class ConfigError(UsageError):
    """The deployment configuration file is missing, unreadable or invalid."""


class RenderError(StashkitError):
    """A template failed to render (a template bug, not the operator's); names the template."""


class TerraformError(StashkitError):
    """Terraform failed; the exit code is Terraform's own (its messages were already shown)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code if exit_code > 0 else 1


class CloudError(StashkitError):
    """A cloud API call failed for good (after retries, or a failure retrying cannot fix)."""


class Stopped(StashkitError):
    """A stop was requested (SIGTERM, Ctrl-C) while waiting to retry."""


class DockerError(StashkitError):
    """A docker command failed (exit 1)."""


class RegistryError(StashkitError):
    """Logging in to a registry or preparing its repository failed (exit 1)."""


class ReplayError(StashkitError):
    """Sending failed (cannot connect, TLS handshake refused ...)."""


class ReplayFailed(StashkitError):
    """Some messages could not be sent (exit 1)."""


class SidecarRefused(StashkitError):
    """A sidecar answered 401: no token was sent, or it did not accept the one sent."""


class VerifyFailed(StashkitError):
    """The deployment did not become healthy in time (exit 1)."""


class SamplesMissing(StashkitError):
    """Samples were sent but not all counted by the sidecars (exit 1)."""


class FleetUnhealthy(StashkitError):
    """Some sidecars are unhealthy or unreachable (the table has been printed)."""


DETAILED_CHANGES = 2
"""The exit code that means "changes present" under ``--detailed-exitcode``."""


def exit_code_for(error: StashkitError, *, detailed_exitcode: bool) -> int:
    """The process exit code for ``error``: its own, except that with ``--detailed-exitcode``
    an error never exits with the code that means "changes present"."""
    if detailed_exitcode and error.exit_code == DETAILED_CHANGES:
        return 1
    return error.exit_code
