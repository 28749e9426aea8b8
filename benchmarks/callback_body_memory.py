"""The API's memory while a client streams a huge unsigned body at the department callback.

    uv run python -m benchmarks.callback_body_memory              # 512 MiB, chunked and with Content-Length
    uv run python -m benchmarks.callback_body_memory --mib 2048

Starts a real API process (`onething api` on a fresh data directory; Temporal need not run: the body is
refused before anything reaches the case engine), reads its resident memory (VmRSS, /proc) before, at its
peak while the body streams (sampled every 10 ms) and after, and prints them with what the client managed to
send before the API answered. Issue 12 measured 189 MB → 1.2 GB before the cap (the whole body was read).
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from core.ports import free_port

MIB = 2**20


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_mib(pid), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.01)


def start_api(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ONETHING_DATA_DIR": str(data_dir), "ONETHING_API_PORT": str(port)}
    env["ONETHING_TEMPORAL_ADDRESS"] = f"127.0.0.1:{free_port()}"  # nothing there: not needed to refuse a body
    onething = [str(Path(sys.executable).parent / "onething")]
    subprocess.run([*onething, "db", "upgrade"], env=env, check=True, capture_output=True)
    api = subprocess.Popen([*onething, "api"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(1)  # its lifespan's first work (catalogue, demo data) settles
            return api
        except OSError:
            time.sleep(0.2)
    api.kill()
    raise RuntimeError("the API did not start")


def stream(port: int, total: int, *, chunked: bool) -> tuple[int, str]:
    """Sends up to `total` bytes of body; the bytes sent before the API answered or cut off, and its status line."""
    head = [
        "POST /api/v1/callbacks/public_security HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}",
        "",
        "",
    ]
    frame = (f"{MIB:x}\r\n".encode() + b"x" * MIB + b"\r\n") if chunked else b"x" * MIB
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall("\r\n".join(head).encode())
        while sent < total and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(frame)
            except OSError:
                break
            sent += MIB
        sock.settimeout(10)
        try:
            answer = sock.recv(65536)
        except OSError:
            answer = b""
    return sent, answer.split(b"\r\n", 1)[0].decode() or "(connection reset)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=512, help="body size to stream")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        api = start_api(Path(data_dir), port)
        try:
            print(f"{'body':<28} {'RSS before':>11} {'peak':>9} {'after':>9} {'sent':>10}  answer")
            for chunked in (True, False):
                before = rss_mib(api.pid)
                peak = PeakRss(api.pid)
                peak.start()
                started = time.monotonic()
                sent, status = stream(port, args.mib * MIB, chunked=chunked)
                seconds = time.monotonic() - started
                time.sleep(0.5)
                peak.running = False
                peak.join()
                after = rss_mib(api.pid)
                kind = f"{args.mib} MiB {'chunked' if chunked else 'Content-Length'}"
                print(
                    f"{kind:<28} {before:>8.1f} MiB {peak.peak:>5.1f} MiB {after:>5.1f} MiB "
                    f"{sent // MIB:>6} MiB  {status} ({seconds:.2f} s)"
                )
        finally:
            api.terminate()
            api.wait(timeout=20)


if __name__ == "__main__":
    main()
