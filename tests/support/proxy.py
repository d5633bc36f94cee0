"""An HTTPS gateway on loopback, as a company puts in front of api.stripe.com: it forwards Stripe's API paths
(`/v1/...`) to an upstream and answers everything else with Stripe's `404 Unrecognized request URL`.

Its certificate is made for 127.0.0.1 at start; `ca_file` is what a client trusts (`SSL_CERT_FILE`), as a user
trusts the company's certificate authority.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FORWARDED = ("/v1/",)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass(frozen=True)
class Gateway:
    url: str
    ca_file: Path
    seen: list[str]


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stripe-gateway.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "gateway.pem", directory / "gateway.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@contextmanager
def https_gateway(upstream: str, directory: Path) -> Iterator[Gateway]:
    """Serves the gateway until the block ends; `seen` lists every path it was asked for."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = _certificate(directory)
    seen: list[str] = []
    client = httpx.Client(base_url=upstream, timeout=60)

    class Handler(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            seen.append(self.path)
            if not self.path.startswith(FORWARDED):
                body = {
                    "error": {
                        "message": f"Unrecognized request URL ({self.command}: {self.path.split('?')[0]}).",
                        "type": "invalid_request_error",
                    }
                }
                self._answer(404, {"Content-Type": "application/json"}, json.dumps(body).encode())
                return
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            response = client.request(self.command, self.path, headers=headers, content=self.rfile.read(length))
            relayed = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
            self._answer(response.status_code, relayed, response.content)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads `seen`."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Gateway(f"https://127.0.0.1:{server.server_address[1]}", cert_file, seen)
    finally:
        server.shutdown()
        server.server_close()
        client.close()
