"""Where metrics go besides /metrics: a JSONL history file, a Pushgateway, remote_write.

Every sink is optional and enabled by its setting. The :class:`~.publisher.Publisher` runs each
one in its own task, so a slow or failing sink never blocks polling, health or the others.
"""

from __future__ import annotations


class SinkError(Exception):
    """A write that failed; the message is one line an operator can act on (no secrets)."""
