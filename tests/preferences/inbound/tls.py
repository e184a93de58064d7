"""A throwaway certificate authority and an HTTPS server on 127.0.0.1, for the parts
that fetch over https (the SNS signing certificate, the IMAP server's TLS)."""

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificate(subject_key, *, common: str, issuer=None, issuer_key=None, ca=False,
                ip: str | None = None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(common))
               .issuer_name(issuer.subject if issuer else _name(common))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False)
    return builder.sign(issuer_key or subject_key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Authority:
    """A CA trusted through SSL_CERT_FILE, and a server certificate for 127.0.0.1."""

    def __init__(self, folder: Path):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cert = certificate(self.key, common="Hush test CA", ca=True)
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(pem(self.cert))
        server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        server = certificate(server_key, common="127.0.0.1", issuer=self.cert,
                             issuer_key=self.key, ip="127.0.0.1")
        self.server_cert, self.server_key = folder / "server.pem", folder / "server.key"
        self.server_cert.write_bytes(pem(server))
        self.server_key.write_bytes(key_pem(server_key))


class HttpsServer:
    """Serves `files` (path -> bytes) over https and records every path asked for."""

    def __init__(self, authority: Authority, files: dict[str, bytes]):
        self.files, self.hits = files, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                body = outer.files.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(authority.server_cert, authority.server_key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
