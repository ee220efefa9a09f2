"""`make demo`: a fake Logstash plus the real status sidecar, on this machine.

    python -m tests.fakes.demo [--duration SECONDS] [--version 8.19.3]

It creates `.demo/` in the repository, starts the fake Logstash API (healthy, 8.19.3) on
127.0.0.1:9600 (or a free port if 9600 is taken) with a growing `.demo/logstash-plain.log`
(INFO/WARN/ERROR lines, some Java stack traces), then runs the sidecar as a subprocess:

    python -m status_sidecar serve --logstash-url URL --log-path LOG --host 127.0.0.1
        --port 3000 --poll-interval 2 --startup-grace 30

Ctrl-C or SIGTERM stops both. Switch the fake's mode while it runs, e.g.:

    curl -XPOST localhost:9600/_fake/mode -d '{"mode": "stuck"}'
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from tests.fakes.fake_logstash import (
    DEFAULT_VERSION,
    FakeLogstash,
    FakeLogstashServer,
    LogGrower,
    LogWriter,
)

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(preferred: int, host: str = HOST) -> int:
    """`preferred` if it is free, else any free port (0 = any free port)."""
    if preferred and port_is_free(preferred, host):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def sidecar_command(logstash_url: str, log_path: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "status_sidecar",
        "serve",
        "--logstash-url",
        logstash_url,
        "--log-path",
        str(log_path),
        "--host",
        HOST,
        "--port",
        str(port),
        "--poll-interval",
        "2",
        "--startup-grace",
        "30",
        "--destination",
        "https://splunk-hec.internal:8088",
        # History survives a restart of the demo, as it would on a volume.
        "--history-file",
        str(log_path.parent / "history.jsonl"),
    ]


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> int | None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.demo", description=__doc__)
    parser.add_argument("--logstash-port", type=int, default=9600)
    parser.add_argument("--sidecar-port", type=int, default=3000)
    parser.add_argument("--version", default=DEFAULT_VERSION, dest="ls_version")
    parser.add_argument("--log-rate", type=float, default=4.0, help="log entries per second")
    parser.add_argument(
        "--duration",
        type=float,
        default=0.0,
        help="stop after N seconds (0: until Ctrl-C)",
    )
    args = parser.parse_args(argv)

    demo_dir = REPO / ".demo"
    demo_dir.mkdir(exist_ok=True)
    log_path = demo_dir / "logstash-plain.log"

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    fake = FakeLogstash(version=args.ls_version, mode="healthy")
    server = FakeLogstashServer(fake, HOST, pick_port(args.logstash_port))
    writer = LogWriter(log_path, seed=None, version=args.ls_version)
    grower = LogGrower(writer, args.log_rate)
    proc: subprocess.Popen[bytes] | None = None
    rc = 0
    try:
        url = server.start()
        writer.write_startup()
        grower.start()
        sidecar_port = pick_port(args.sidecar_port)
        proc = subprocess.Popen(sidecar_command(url, log_path, sidecar_port), cwd=REPO)
        print(
            "\n"
            "  ================================================================\n"
            f"   dashboard on http://localhost:{sidecar_port}\n"
            f"   fake Logstash {args.ls_version} on {url}  (healthy)\n"
            f"   Logstash log  {log_path}\n"
            f'   switch modes: curl -XPOST {url}/_fake/mode -d \'{{"mode": "stuck"}}\'\n'
            "   Ctrl-C to stop\n"
            "  ================================================================\n",
            flush=True,
        )
        started = time.monotonic()
        while not stop.wait(0.5):
            if proc.poll() is not None:
                print(
                    f"the sidecar exited with code {proc.returncode}; stopping the demo",
                    file=sys.stderr,
                )
                rc = 1
                break
            if args.duration and time.monotonic() - started >= args.duration:
                break
    finally:
        print("stopping ...", flush=True)
        if proc is not None:
            stop_process(proc)
        grower.stop()
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
