"""Three SMTP servers on loopback for the mail client's tests, with aiosmtpd
(PyPI) and a throw-away certificate authority from trustme (PyPI):

- `starttls`: offers STARTTLS and requires it, then AUTH PLAIN and LOGIN;
- `implicit`: TLS from the first byte, then AUTH LOGIN only;
- `plain`: no STARTTLS at all, yet it would take AUTH in the clear.

    python3 smtp_servers.py DIRECTORY

Writes DIRECTORY/ca.pem, prints {"starttls": port, "implicit": port,
"plain": port} on one line, appends each message it accepts to
DIRECTORY/received.jsonl and each AUTH it sees to DIRECTORY/auth.jsonl, and
runs until its standard input closes.
"""
import json
import os
import socket
import ssl
import sys

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "mailer@example.com", "p@ss:w0rd ü"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    directory = sys.argv[1]
    authority = trustme.CA()
    authority.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)

    def record(name, entry):
        with open(os.path.join(directory, name), "a") as f:
            f.write(json.dumps(entry) + "\n")

    class Handler:
        def __init__(self, label):
            self.label = label

        async def handle_DATA(self, server, session, envelope):
            record("received.jsonl", {"server": self.label, "from": envelope.mail_from, "to": envelope.rcpt_tos,
                                      "tls": session.ssl is not None, "user": session.authenticated and USER,
                                      "content": envelope.content.decode("utf-8", "replace")})
            return "250 OK"

    def authenticator(label):
        def check(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
            record("auth.jsonl", {"server": label, "mechanism": mechanism, "tls": session.ssl is not None, "ok": ok})
            return AuthResult(success=ok, handled=False)
        return check

    ports = {"starttls": free_port(), "implicit": free_port(), "plain": free_port()}
    controllers = [
        Controller(Handler("starttls"), hostname="127.0.0.1", port=ports["starttls"], server_hostname="localhost",
                   tls_context=context, require_starttls=True, authenticator=authenticator("starttls"), auth_require_tls=True),
        Controller(Handler("implicit"), hostname="127.0.0.1", port=ports["implicit"], server_hostname="localhost",
                   ssl_context=context, authenticator=authenticator("implicit"), auth_exclude_mechanism=["PLAIN"],
                   auth_require_tls=False),  # aiosmtpd counts only STARTTLS as TLS; this one is TLS throughout
        Controller(Handler("plain"), hostname="127.0.0.1", port=ports["plain"], server_hostname="localhost",
                   authenticator=authenticator("plain"), auth_require_tls=False),
    ]
    for controller in controllers:
        controller.start()
    print(json.dumps(ports), flush=True)
    sys.stdin.read()
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    main()
