"""Text from Logstash, files and clients made safe to serve.

Logstash may send valid JSON holding a lone surrogate (``"\\ud800"``), which no UTF-8 encoder
accepts: one such pipeline id used to turn ``/metrics`` into a 500. Strings are cleaned once,
where they enter, so every later encoder (JSON, Prometheus text, HTML) can be strict.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (unchanged when there is none)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def clean_strings(value: object) -> object:
    """A JSON document with every string (keys included) passed through :func:`clean`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_strings(v) for v in value]
    return value


def clip(text: str, limit: int = 40) -> str:
    """At most ``limit`` characters of untrusted text, for an error message that echoes it."""
    return text if len(text) <= limit else text[:limit] + "…"
