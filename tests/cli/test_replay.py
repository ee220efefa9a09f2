"""``stashkit replay``: timestamps, framing over UDP/TCP/TLS listeners, pacing, the CLI."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stashkit import cli
from stashkit.replay import (
    MAX_UDP_PAYLOAD,
    SAMPLES_DIR,
    Message,
    Replayer,
    ReplayError,
    TcpTransport,
    UdpTransport,
    client_tls_context,
    load_samples,
    parse_target,
    read_messages,
    refresh_timestamps,
    sample_types,
)
from status_sidecar.catalog import LOG_TYPE_KEYS
from tests.support.clocks import ManualClock

trustme = pytest.importorskip("trustme")

NOW = dt.datetime(2026, 11, 22, 23, 5, 9, 123456, tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # header Mmm d (space-padded), relay double header: both move
        (
            b"<14>Mar  4 22:58:22 1.2.3.4 Mar  4 22:58:20 Controller-10.0.0.1 x: AviatrixCMD: a",
            b"<14>Nov 22 23:05:09 1.2.3.4 Nov 22 23:05:07 Controller-10.0.0.1 x: AviatrixCMD: a",
        ),
        (b"Mar 4 22:58:22 h x", b"Nov 22 23:05:09 h x"),  # unpadded day stays unpadded
        (b"<14>Nov 30 23:59:59 h x", b"<14>Nov 22 23:05:09 h x"),  # a future date: last year
        # RFC 3339 with fraction and offset; the offset is kept, the instant is now
        (
            b"<14>2026-03-04T22:58:43.573005+00:00 ip-1 cloudxd: AviatrixTunnelStatusChange: a",
            b"<14>2026-11-22T23:05:09.123456+00:00 ip-1 cloudxd: AviatrixTunnelStatusChange: a",
        ),
        (b"2026-03-04T23:58:43+01:00 h", b"2026-11-23T00:05:09+01:00 h"),
        (b"2026-03-04T22:58:43.5Z h", b"2026-11-22T23:05:09.1Z h"),
        # in-body dates move with the header
        (
            b"<14>Mar  4 22:54:34 GW-a-1.2.3.4-sink p 2026/03/04 22:54:34 AviatrixGwMicroseg",
            b"<14>Nov 22 23:05:09 GW-a-1.2.3.4-sink p 2026/11/22 23:05:09 AviatrixGwMicroseg",
        ),
        (
            b"<14>Mar  4 22:55:19 h p: AviatrixGwNetStats: timestamp=2026-03-04T22:55:18.138830 n",
            b"<14>Nov 22 23:05:09 h p: AviatrixGwNetStats: timestamp=2026-11-22T23:05:08.138830 n",
        ),
        (
            b"Mar 10 12:38:18 h AviatrixVPNSession: Login=2026-03-10 12:37:39, Logout=2026-03-10 "
            b"12:38:16, Duration=0:0:0:37",
            b"Nov 22 23:05:09 h AviatrixVPNSession: Login=2026-11-22 23:04:30, Logout=2026-11-22 "
            b"23:05:07, Duration=0:0:0:37",
        ),
        # JSON: ISO strings (+0000), epoch seconds and nanoseconds; other numbers untouched
        (
            b'Mar  4 22:57:01 g suricata[4]: {"timestamp":"2026-03-04T22:57:01.661154+0000",'
            b'"flow_id":1120349861234567,"flow":{"start":"2026-03-04T22:57:00.573850+0000"}}',
            b'Nov 22 23:05:09 g suricata[4]: {"timestamp":"2026-11-22T23:05:09.661154+0000",'
            b'"flow_id":1120349861234567,"flow":{"start":"2026-11-22T23:05:08.573850+0000"}}',
        ),
        (
            b'Mar  4 22:57:01 g traffic_server[1]: {"session_start":1772665020165851922,'
            b'"session_time":104080,"timestamp":1772665021}',
            b'Nov 22 23:05:09 g traffic_server[1]: {"session_start":1795388708165851922,'
            b'"session_time":104080,"timestamp":1795388709}',
        ),
        # protobuf seconds in cpu_cores; nanos untouched
        (
            b"Mar  4 22:56:13 g AviatrixGwSysStats: cpu_cores=[busy:{start:{seconds:1772664933  "
            b"nanos:186170743}  end:{seconds:1772664973  nanos:829302459}}]",
            b"Nov 22 23:05:09 g AviatrixGwSysStats: cpu_cores=[busy:{start:{seconds:1795388669  "
            b"nanos:186170743}  end:{seconds:1795388709  nanos:829302459}}]",
        ),
        (
            b"no timestamp here: 12:00:00 and 1772664933",
            b"no timestamp here: 12:00:00 and 1772664933",
        ),
        (b"\xff\xfe Mar  4 22:56:13 \x00", b"\xff\xfe Nov 22 23:05:09 \x00"),
    ],
)
def test_should_move_every_timestamp_with_the_first(before: bytes, after: bytes) -> None:
    assert refresh_timestamps(before, NOW) == after


def test_should_refresh_every_shipped_sample_and_keep_the_rest() -> None:
    for message in load_samples(["all"]):
        refreshed = refresh_timestamps(message.data, NOW)
        assert refreshed != message.data, message.data[:80]
        assert len(refreshed) == len(message.data)  # same forms, same widths
        again = refresh_timestamps(refreshed, NOW)
        assert again == refreshed  # idempotent at a fixed now
    with pytest.raises(ValueError, match="timezone-aware"):
        refresh_timestamps(b"x", dt.datetime(2026, 1, 1))


# --------------------------------------------------------------------------------------------
# Sources and targets
# --------------------------------------------------------------------------------------------


def test_should_read_messages_byte_for_byte() -> None:
    raw = b'# comment\r\none\r\n\n  \ntwo \xff\x00}"\n#x\nthree'
    assert read_messages(raw, "fqdn") == [
        Message(b"one", "fqdn"),
        Message(b'two \xff\x00}"', "fqdn"),
        Message(b"three", "fqdn"),
    ]


def test_should_ship_samples_for_every_log_type() -> None:
    assert sample_types() == LOG_TYPE_KEYS
    messages = load_samples(["fqdn", "microseg", "fqdn"])
    assert [m.log_type for m in messages] == sorted(
        [m.log_type for m in messages], key=["fqdn", "microseg"].index
    )
    assert all(b"AviatrixFQDNRule" in m.data for m in messages if m.log_type == "fqdn")
    assert SAMPLES_DIR.parent.name == "stashkit"  # inside the package, no repository needed


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("10.0.0.1:5000", "10.0.0.1", 5000), ("nlb.example.net:6514", "nlb.example.net", 6514),
     ("[::1]:5000", "::1", 5000)],
)  # fmt: skip
def test_should_parse_targets(text: str, host: str, port: int) -> None:
    target = parse_target(text)
    assert (target.host, target.port) == (host, port)
    assert str(target) == text


@pytest.mark.parametrize("text", ["host", "host:", ":5000", "h:0", "h:70000", "a b:1", "::1:5"])
def test_should_refuse_bad_targets(text: str) -> None:
    code, _out, err = run_cli("replay", "--samples", "fqdn", "--to", text)
    assert code == 2
    assert "HOST:PORT" in err or "is not 1-65535" in err


# --------------------------------------------------------------------------------------------
# Listeners
# --------------------------------------------------------------------------------------------


@dataclass
class TcpListener:
    port: int
    received: bytearray = field(default_factory=bytearray)
    connections: int = 0
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def tls_ca() -> trustme.CA:
    return trustme.CA()


@contextlib.contextmanager
def serve_tcp(context: ssl.SSLContext | None = None) -> Iterator[TcpListener]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)  # wake up to see `done`
    listener = TcpListener(server.getsockname()[1])

    def serve() -> None:
        while not listener.done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            listener.connections += 1
            try:
                if context is not None:
                    conn = context.wrap_socket(conn, server_side=True)
                conn.settimeout(10)
                while chunk := conn.recv(65536):
                    listener.received.extend(chunk)
            except (OSError, ssl.SSLError) as exc:
                listener.errors.append(str(exc))
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.done.set()
        server.close()
        thread.join(5)


@pytest.fixture
def tcp_listener() -> Iterator[TcpListener]:
    with serve_tcp() as listener:
        yield listener


def _wait_for(listener: TcpListener, size: int) -> bytes:
    deadline = time.monotonic() + 10
    while len(listener.received) < size and time.monotonic() < deadline:
        time.sleep(0.01)
    return bytes(listener.received)


@pytest.fixture
def udp_listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def _datagrams(sock: socket.socket, count: int) -> list[bytes]:
    return [sock.recvfrom(70000)[0] for _ in range(count)]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out):
        code = cli.main(list(argv), stderr=err)
    return code, out.getvalue(), err.getvalue()


MESSAGES = [
    Message(b"<14>Mar  4 22:58:22 h AviatrixCMD: a", "cmd"),
    Message(b'2026-03-04T22:58:43.5+00:00 h {"x":"}\\"", "q": "\xff"}', "fqdn"),
    Message(b"x" * 3000, None),
]


def test_should_send_one_exact_datagram_per_message(udp_listener: socket.socket) -> None:
    port = udp_listener.getsockname()[1]
    replayer = Replayer(
        UdpTransport(parse_target(f"127.0.0.1:{port}")),
        refresh=False,
        clock=time.monotonic,
        sleep=time.sleep,
    )
    summary = replayer.run(MESSAGES)
    assert _datagrams(udp_listener, 3) == [m.data for m in MESSAGES]
    assert summary.sent == {"cmd": 1, "fqdn": 1, "-": 1}
    assert summary.bytes_sent == sum(len(m.data) for m in MESSAGES)


def test_should_frame_tcp_with_newlines_byte_for_byte(tcp_listener: TcpListener) -> None:
    transport = TcpTransport(parse_target(f"127.0.0.1:{tcp_listener.port}"))
    replayer = Replayer(transport, refresh=False, clock=time.monotonic, sleep=time.sleep)
    summary = replayer.run(MESSAGES, count=5, loop=True)
    expected = b"".join(m.data + b"\n" for m in [*MESSAGES, *MESSAGES[:2]])
    assert _wait_for(tcp_listener, len(expected)) == expected
    assert (summary.total, tcp_listener.connections) == (5, 1)


def test_should_refresh_timestamps_on_the_wire(udp_listener: socket.socket) -> None:
    port = udp_listener.getsockname()[1]
    code, out, _ = run_cli(
        "replay", "--samples", "tunnel_status", "--to", f"127.0.0.1:{port}", "--rate", "0"
    )
    assert code == 0
    received = _datagrams(udp_listener, 3)
    now = dt.datetime.now(dt.UTC)
    for data in received:
        stamp = data.split(b" ", 1)[0].removeprefix(b"<14>").decode()
        sent_at = dt.datetime.fromisoformat(stamp)
        assert abs((now - sent_at).total_seconds()) < 30, data
    assert "tunnel_status" in out and "3 message(s)" in out


def _server_context(ca: trustme.CA, client_ca: trustme.CA | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    if client_ca is not None:
        client_ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def test_should_replay_over_tls_verifying_the_server(tls_ca: trustme.CA, tmp_path: Path) -> None:
    ca_pem = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca_pem))
    with serve_tcp(_server_context(tls_ca)) as listener:
        code, out, err = run_cli(
            "replay", "--samples", "fqdn", "--to", f"127.0.0.1:{listener.port}",
            "--tls", "--ca", str(ca_pem), "--rate", "0", "--no-refresh",
        )  # fmt: skip
        assert code == 0, err
        expected = b"".join(m.data + b"\n" for m in load_samples(["fqdn"]))
        assert _wait_for(listener, len(expected)) == expected
        assert "fqdn" in out


def test_should_refuse_a_server_the_ca_does_not_know(tls_ca: trustme.CA, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with serve_tcp(_server_context(tls_ca)) as listener:
        code, _out, err = run_cli(
            "replay", "--samples", "fqdn", "--to", f"127.0.0.1:{listener.port}",
            "--tls", "--ca", str(other), "--rate", "0",
        )  # fmt: skip
        assert code == 1
        assert "TLS handshake with 127.0.0.1" in err and "CERTIFICATE_VERIFY_FAILED" in err
        assert listener.received == b""


def test_should_do_mutual_tls(tls_ca: trustme.CA, tmp_path: Path) -> None:
    client_ca = trustme.CA()
    ca_pem, cert_pem = tmp_path / "ca.pem", tmp_path / "client.pem"
    tls_ca.cert_pem.write_to_path(str(ca_pem))
    client_ca.issue_cert("aviatrix-controller").private_key_and_cert_chain_pem.write_to_path(
        str(cert_pem)
    )
    with serve_tcp(_server_context(tls_ca, client_ca)) as listener:
        target = f"127.0.0.1:{listener.port}"
        code, _out, err = run_cli(
            "replay", "--samples", "cmd", "--to", target, "--tls", "--ca", str(ca_pem),
            "--cert", str(cert_pem), "--rate", "0", "--no-refresh",
        )  # fmt: skip
        assert code == 0, err
        expected = b"".join(m.data + b"\n" for m in load_samples(["cmd"]))
        assert _wait_for(listener, len(expected)) == expected
        # without a client certificate the server ends the handshake: nothing arrives
        before = len(listener.received)
        transport = TcpTransport(parse_target(target), client_tls_context(ca_pem))
        with pytest.raises(ReplayError):  # noqa: PT012 - the refusal shows on a later send
            for message in load_samples(["cmd"]) * 20:
                transport.send(message.data)
                time.sleep(0.01)
        transport.close()
        assert len(listener.received) == before


# --------------------------------------------------------------------------------------------
# Pacing, counting, failures
# --------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, clock: ManualClock, fail_every: int = 0) -> None:
        self.clock = clock
        self.sent: list[tuple[float, bytes]] = []
        self.fail_every = fail_every
        self.closed = False

    def send(self, data: bytes) -> None:
        if self.fail_every and (len(self.sent) + 1) % self.fail_every == 0:
            self.sent.append((self.clock.t, b"<failed>"))
            raise ReplayError("boom")
        self.sent.append((self.clock.t, data))
        self.clock.t += 0.001  # sending takes a little time

    def close(self) -> None:
        self.closed = True


def test_should_pace_sends_at_the_rate() -> None:
    clock = ManualClock(100.0)
    recorder = Recorder(clock)
    messages = [Message(b"m%d" % i) for i in range(10)]
    summary = Replayer(recorder, rate=4, refresh=False, clock=clock, sleep=clock.sleep).run(
        messages
    )
    times = [t - 100.0 for t, _ in recorder.sent]
    assert times == pytest.approx([i / 4 for i in range(10)], abs=1e-9)
    assert summary.elapsed_s == pytest.approx(9 / 4 + 0.001)
    assert recorder.closed


def test_should_roughly_honour_the_rate_on_a_real_clock(udp_listener: socket.socket) -> None:
    port = udp_listener.getsockname()[1]
    replayer = Replayer(
        UdpTransport(parse_target(f"127.0.0.1:{port}")),
        rate=50,
        clock=time.monotonic,
        sleep=time.sleep,
    )
    start = time.monotonic()
    summary = replayer.run([Message(b"x")] * 26)
    elapsed = time.monotonic() - start
    assert summary.total == 26
    assert 0.45 <= elapsed < 2.0  # 25 intervals of 20 ms
    assert 13 <= summary.rate <= 58


def test_should_loop_until_count_and_stop_when_asked() -> None:
    clock = ManualClock(100.0)
    recorder = Recorder(clock)
    messages = [Message(b"a", "x"), Message(b"b", "y")]
    summary = Replayer(recorder, refresh=False, clock=clock, sleep=clock.sleep).run(
        messages, count=5, loop=True
    )
    assert [d for _, d in recorder.sent] == [b"a", b"b", b"a", b"b", b"a"]
    assert summary.sent == {"x": 3, "y": 2}
    stops = iter([False, False, True])
    summary = Replayer(
        Recorder(clock), refresh=False, clock=clock, sleep=clock.sleep, stop=lambda: next(stops)
    ).run(messages, loop=True)
    assert (summary.total, summary.stopped) == (2, True)


def test_should_count_failures_and_give_up_when_nothing_works() -> None:
    clock = ManualClock(100.0)
    summary = Replayer(
        Recorder(clock, fail_every=3), refresh=False, clock=clock, sleep=clock.sleep
    ).run([Message(b"m")] * 9)
    assert (summary.total, summary.failed) == (6, 3)

    class Dead:
        def send(self, data: bytes) -> None:
            raise ReplayError("cannot connect to x: refused")

        def close(self) -> None:
            pass

    with pytest.raises(ReplayError, match="10 sends failed, none worked"):
        Replayer(Dead(), clock=clock, sleep=clock.sleep).run([Message(b"m")], loop=True)


def test_should_exit_1_when_a_message_is_too_long_for_udp(
    udp_listener: socket.socket, tmp_path: Path
) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"small\n" + b"y" * (MAX_UDP_PAYLOAD + 1) + b"\nsmall again\n")
    port = udp_listener.getsockname()[1]
    code, out, err = run_cli("replay", str(path), "--to", f"127.0.0.1:{port}", "--rate", "0")
    assert code == 1
    assert "1 of 3 message(s) not sent" in err and "does not fit in a UDP datagram" in err
    assert _datagrams(udp_listener, 2) == [b"small", b"small again"]
    assert "2 message(s)" in out


def test_should_report_a_closed_port(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    code, _out, err = run_cli(
        "replay", "--samples", "fqdn", "--to", f"127.0.0.1:{port}", "--tcp", "--rate", "0"
    )
    assert code == 1
    assert "cannot connect to 127.0.0.1" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to", "h:1"], "either FILE or --samples"),
        (["f.log", "--samples", "fqdn", "--to", "h:1"], "either FILE or --samples"),
        (["--samples", "nope", "--to", "h:1"], "invalid choice"),
        (["--samples", "fqdn", "--to", "h:1", "--tls", "--udp"], "--tls runs over TCP"),
        (["--samples", "fqdn", "--to", "h:1", "--ca", "x.pem"], "need --tls"),
        (["--samples", "fqdn", "--to", "h:1", "--count", "0"], "--count must be 1 or more"),
        (["--samples", "fqdn", "--to", "h:1", "--rate", "-1"], "--rate must be 0"),
        (["--samples", "fqdn", "--to", "h:1", "--tls", "--key", "k.pem"], "--key needs --cert"),
        (["missing.log", "--to", "h:1"], "cannot read missing.log"),
    ],
)
def test_should_refuse_bad_arguments(argv: list[str], message: str) -> None:
    code, _out, err = run_cli("replay", *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
