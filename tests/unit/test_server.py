"""The server's own limits, as functions: connection cap under the open-file limit, rate-limited
event-loop errors. (The limits in action: tests/chaos.)"""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from status_sidecar import server


def test_connection_limit_should_stay_under_the_open_file_limit() -> None:
    assert server.connection_limit(512, soft_nofile=256) == 256 - server.FD_RESERVE
    assert server.connection_limit(100, soft_nofile=100_000) == 100
    assert server.connection_limit(512, soft_nofile=20) == 8


def test_accept_errors_should_be_logged_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = server.RateLimitedErrors(interval=0.2)
    loop = asyncio.new_event_loop()
    try:
        context = {
            "message": "socket.accept() out of system resource",
            "exception": OSError(24, "Too many open files"),
        }
        with caplog.at_level(logging.ERROR, logger="status_sidecar.server"):
            for _ in range(1000):
                handler(loop, context)
            time.sleep(0.25)
            handler(loop, context)
    finally:
        loop.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "Too many open files" in lines[0]
    assert "and 999 more like it" in lines[1]


def test_listening_sockets_should_say_tcp_so_answers_are_not_held_by_nagle() -> None:
    sockets = server.bind("127.0.0.1", [0])
    try:
        assert sockets[0].proto == socket.IPPROTO_TCP
        client = socket.create_connection(sockets[0].getsockname()[:2])
        accepted, _ = sockets[0].accept()
        with client, accepted:
            # asyncio sets TCP_NODELAY on an accepted socket only when its proto is TCP.
            assert accepted.proto == socket.IPPROTO_TCP
    finally:
        for sock in sockets:
            sock.close()
