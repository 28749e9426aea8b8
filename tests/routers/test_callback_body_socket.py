"""Over a real socket (uvicorn): an oversized callback body is answered 413 while it is still arriving, and
the connection is cut, so a client cannot make the API read (or hold) what it sends past the cap."""

from __future__ import annotations

import select
import socket
from pathlib import Path

from tests.support.inprocess import in_process_api
from tests.support.servers import ThreadedServer

MIB = 2**20


def post_head(port: int, *headers: str) -> bytes:
    lines = ["POST /api/v1/callbacks/public_security HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers, "", ""]
    return "\r\n".join(lines).encode()


def read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test). A server that
    closes with our unread body in its buffer resets the connection: that is a close too."""
    sock.settimeout(10)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def stream_until_answered(sock: socket.socket, limit: int) -> tuple[int, bytes]:
    """Sends chunked data until the server answers or cuts the connection: the bytes sent by then, and the
    answer (read the moment it arrives, as the reset that follows may drop it)."""
    frame = f"{MIB:x}\r\n".encode() + b"x" * MIB + b"\r\n"
    sent = 0
    while sent < limit:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(frame)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += MIB
    return sent, read_to_close(sock)


async def test_a_huge_body_is_answered_413_and_cut_off_while_it_arrives(tmp_path: Path) -> None:
    async with in_process_api(tmp_path) as api:
        cap = api.settings.callback_max_bytes
        with ThreadedServer(api.app, lifespan="off") as server:
            # Announced too large: refused at once, before a byte of the body is sent.
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(post_head(server.port, f"Content-Length: {512 * MIB}"))
                answer = read_to_close(sock)
            assert answer.startswith(b"HTTP/1.1 413 ")
            assert f'"max_bytes":{cap}'.encode() in answer

            # Not announced (chunked): refused once the cap is passed; the connection closes long before 512 MiB.
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 * 1024)
                sock.sendall(post_head(server.port, "Transfer-Encoding: chunked", "Content-Type: application/json"))
                sent, answer = stream_until_answered(sock, 512 * MIB)
            assert answer.startswith(b"HTTP/1.1 413 ")
            assert b"connection: close" in answer.lower()
            assert sent < 64 * MIB, f"the client could send {sent // MIB} MiB before the refusal"
