"""Unit tests of the per-log-type breakdown: the `other` row and unclassified events.

An unclassified event passes the `unclassified` filter once and then either the
`unclassified-drop` drop or (webhook-test) the `webhook-unclassified` output. The `other` row
counts it received once, and dropped or sent once: never twice.
"""

from __future__ import annotations

from typing import Any

from status_sidecar.breakdown import OTHER, LogTypeRow, log_type_rows
from status_sidecar.catalog import UNCLASSIFIED_DROP_REASON, default_catalog
from status_sidecar.model import NodeStats
from status_sidecar.store import Delta

CATALOG = default_catalog()


def _plugin(plugin_id: str, events_in: int, events_out: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": plugin_id,
        "name": extra.pop("name", "x"),
        "events": {"in": events_in, "out": events_out},
        **extra,
    }


def _stats(filters: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> NodeStats:
    return NodeStats.parse(
        {
            "version": "8.19.3",
            "pipelines": {"main": {"plugins": {"filters": filters, "outputs": outputs}}},
        }
    )


def _rows(stats: NodeStats, delta: Delta | None = None) -> dict[str, LogTypeRow]:
    return {r.key: r for r in log_type_rows(stats, delta, CATALOG, "all")}


def test_should_count_unclassified_received_and_dropped_once() -> None:
    stats = _stats(
        [
            _plugin("microseg", 10, 10),
            _plugin("unclassified", 7, 7),
            _plugin("unclassified-drop", 7, 0),
        ],
        [_plugin("splunk-microseg", 10, 10)],
    )
    other = _rows(stats)[OTHER]
    assert (other.received, other.dropped, other.sent) == (7, 7, 0)
    assert other.drop_reasons == {UNCLASSIFIED_DROP_REASON: 7}
    assert sorted(other.plugin_ids) == ["unclassified", "unclassified-drop"]
    assert other.as_json()["received"] == 7


def test_should_count_unclassified_sent_by_the_webhook_once() -> None:
    delta = Delta(
        t=10.0,
        interval_s=10.0,
        restart=False,
        counters={
            ("plugin", "main", "unclassified", "in"): 5,
            ("plugin", "main", "webhook-unclassified", "out"): 4,
        },
    )
    stats = _stats(
        [_plugin("unclassified", 9, 9), _plugin("fqdn", 3, 3)],
        [
            _plugin("webhook-unclassified", 9, 8, failures=1),
            _plugin("webhook-fqdn", 3, 3),
        ],
    )
    rows = _rows(stats, delta)
    other = rows[OTHER]
    assert (other.received, other.sent, other.failed, other.dropped) == (9, 8, 1, 0)
    assert other.received_per_s == 0.5
    assert other.sent_per_s == 0.4
    assert sorted(other.plugin_ids) == ["unclassified", "webhook-unclassified"]
    # the per-type rows are untouched by the unclassified plugins
    assert (rows["fqdn"].received, rows["fqdn"].sent) == (3, 3)


def test_should_keep_unknown_ids_in_other_without_counting_them_received() -> None:
    auto = "a" * 64
    stats = _stats(
        [_plugin("unclassified", 2, 2), _plugin(auto, 50, 50), _plugin("unclassified-drop", 2, 0)],
        [_plugin("my-extra-output", 6, 6)],
    )
    other = _rows(stats)[OTHER]
    assert (other.received, other.dropped, other.sent) == (2, 2, 6)
    assert sorted(other.plugin_ids) == sorted(
        ["unclassified", auto, "unclassified-drop", "my-extra-output"]
    )


def test_should_not_count_the_unclassified_drop_toward_any_log_type() -> None:
    stats = _stats(
        [
            _plugin("suricata", 4, 4),
            _plugin("suricata-non-json-drop", 1, 0),
            _plugin("unclassified", 3, 3),
            _plugin("unclassified-drop", 3, 0),
        ],
        [],
    )
    rows = _rows(stats)
    assert rows["suricata"].dropped == 1
    assert rows["suricata"].drop_reasons == {"Non-JSON/notices": 1}
    assert rows[OTHER].dropped == 3
    assert sum(r.dropped for r in rows.values()) == 4


def test_should_sum_the_filters_that_classify_one_type() -> None:
    """cmd messages pass either cmd-v1 (AviatrixCMD) or cmd-v2 (AviatrixAPI), never both."""
    assert CATALOG.classifiers("cmd") == ("cmd-v1", "cmd-v2")
    assert CATALOG.classifiers("fqdn") == ("fqdn",)
    delta = Delta(
        t=10.0,
        interval_s=2.0,
        restart=False,
        counters={
            ("plugin", "main", "cmd-v1", "in"): 4,
            ("plugin", "main", "cmd-v2", "in"): 2,
            ("plugin", "main", "cmd-set-hostname", "in"): 4,
        },
    )
    stats = _stats(
        [
            _plugin("cmd-v1", 5, 5),
            _plugin("cmd-set-hostname", 5, 5),
            _plugin("cmd-default-reason", 5, 5),
            _plugin("cmd-v2", 2, 2),
        ],
        [_plugin("splunk-cmd", 7, 7)],
    )
    row = _rows(stats, delta)["cmd"]
    assert (row.received, row.sent) == (7, 7)
    assert row.received_per_s == 3.0
    # only V1 traffic: the largest filter count, as before
    only_v1 = _stats([_plugin("cmd-v1", 5, 5), _plugin("cmd-set-hostname", 5, 5)], [])
    assert _rows(only_v1)["cmd"].received == 5
