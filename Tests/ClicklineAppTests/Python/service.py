"""What the end-to-end scripts share: the real `clickline` binary started on
ephemeral loopback ports with the demo brand, an SMTP server that keeps what
it is sent, and the admin API."""
import email
import email.policy
import json
import os
import re
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request



class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# MARK: SMTP


class Mailbox:
    """The messages an SMTP server on loopback was sent, parsed."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        mailbox = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self):
                def say(line):
                    self.wfile.write((line + "\r\n").encode())
                say("220 test ESMTP")
                recipients = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("latin-1").strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        say("250 test")
                    elif command.startswith("MAIL FROM"):
                        recipients = []
                        say("250 ok")
                    elif command.startswith("RCPT TO"):
                        recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                        say("250 ok")
                    elif command == "DATA":
                        say("354 go on")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            data += chunk
                        parsed = email.message_from_bytes(data[:-5].replace(b"\r\n..", b"\r\n."), policy=email.policy.default)
                        with mailbox.lock:
                            mailbox.messages.append({"to": recipients, "subject": str(parsed["Subject"]),
                                                     "body": parsed.get_body().get_content()})
                        say("250 queued")
                    elif command == "QUIT":
                        say("221 bye")
                        return
                    elif command in ("RSET", "NOOP"):
                        say("250 ok")
                    else:
                        say("502 not here")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Session)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, seconds=10, what="a message"):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.1)
        raise Failure("no %s arrived within %d s; got %r" % (what, seconds, [m["subject"] for m in self.messages]))

    def close(self):
        self.server.shutdown()


# MARK: the service


class ClicklineService:
    """`clickline serve --demo` on ephemeral loopback ports, sending mail to `mailbox`."""

    def __init__(self, binary, mailbox, extra_arguments=()):
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix="clickline-browser-")
        self.store = "sqlite:" + os.path.join(self.directory, "clickline.sqlite")
        self.arguments = [binary, "serve", "--demo", "--store", self.store, "--edge-port", "0", "--admin-port", "0", "--bind", "127.0.0.1",
                          "--workers", "2", "--log-level", "warning", "--smtp-url", "smtp://127.0.0.1:%d" % mailbox.port, *extra_arguments]
        self.start()

    def start(self):
        self.process = subprocess.Popen(self.arguments, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        text = ""
        deadline = time.time() + 30
        while "choose a password there" not in text and time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            text += line
        def value(pattern):
            match = re.search(pattern, text)
            check(match, "the service did not print %s:\n%s" % (pattern, text))
            return match.group(1)
        self.edge_port = int(value(r"edge listening on 127\.0\.0\.1:(\d+)"))
        self.admin_port = int(value(r"admin API listening on 127\.0\.0\.1:(\d+)"))
        self.admin_key = value(r"admin key:\s+(\S+)")
        self.partner_token = value(r"partner token \(\S+\):\s+(\S+)")
        self.tracking_path = "/" + value(r"tracking URL:\s+https?://[^/]+/(\S+)")
        self.sign_in_url = value(r"brand console:\s+(\S+)")
        self.base = "http://localhost:%d" % self.admin_port  # as the links it prints and emails
        self.edge = "http://127.0.0.1:%d" % self.edge_port

    def kill_and_restart(self):
        """SIGKILL, then the same command on the same store (new ports, a new admin key)."""
        self.process.kill()
        self.process.wait()
        self.start()

    def api(self, method, path, body=None, token=None):
        """The admin API (or, with `token`, the partner API): (status, JSON)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + (token or self.admin_key))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def ok(self, method, path, body=None, token=None):
        status, answer = self.api(method, path, body, token)
        check(200 <= status < 300, "%s %s answered %d: %r" % (method, path, status, answer))
        return answer

    def click(self, path):
        """A click at the edge: the redirect's status and Location (not followed)."""
        connection = socket.create_connection(("127.0.0.1", self.edge_port), timeout=5)
        connection.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)\r\n"
                            "Connection: close\r\n\r\n" % path).encode())
        answer = b""
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        connection.close()
        head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status = int(head.split(" ", 2)[1])
        location = re.search(r"(?im)^location:\s*(\S+)", head)
        return status, location.group(1) if location else None

    def users_create(self, email_address, role):
        """`clickline users create` against the running service's store: the sign-in URL on its last line."""
        output = subprocess.run([self.binary, "users", "create", "--store", self.store, "--email", email_address, "--role", role,
                                 "--dashboard-url", self.base], check=True, capture_output=True, text=True).stdout
        return output.strip().splitlines()[-1]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
