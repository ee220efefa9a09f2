"""One exception hierarchy for the CLI: each error is one line for the operator and an exit code.

``cli.main`` prints ``stashkit: <message>`` on stderr and returns :attr:`StashkitError.exit_code`;
a traceback is shown only with ``--debug``. Usage and configuration mistakes exit 2 (the operator
must change what they asked for); failures while doing the work exit 1. With
``--detailed-exitcode`` (``stashkit plan``) 2 means "the plan has changes", as it does for
Terraform, so there every error exits 1 (:func:`exit_code_for`): a CI job must never read a
typo as pending changes.
"""

from __future__ import annotations


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


DETAILED_CHANGES = 2
"""The exit code that means "changes present" under ``--detailed-exitcode``."""


def exit_code_for(error: StashkitError, *, detailed_exitcode: bool) -> int:
    """The process exit code for ``error``: its own, except that with ``--detailed-exitcode``
    an error never exits with the code that means "changes present"."""
    if detailed_exitcode and error.exit_code == DETAILED_CHANGES:
        return 1
    return error.exit_code
