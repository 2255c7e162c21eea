"""What every browser workflow needs: the real `clickline` binary started on
ephemeral loopback ports with the demo brand, an SMTP server that keeps what
it is sent, the admin API, and headless Chromium that checks each page with
axe-core and keeps a screenshot of it."""
import base64
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

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


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


class Service_:
    """`clickline serve --demo` on ephemeral loopback ports, sending mail to `mailbox`."""

    def __init__(self, binary, mailbox):
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix="clickline-browser-")
        self.store = "sqlite:" + os.path.join(self.directory, "clickline.sqlite")
        self.process = subprocess.Popen(
            [binary, "serve", "--demo", "--store", self.store, "--edge-port", "0", "--admin-port", "0", "--bind", "127.0.0.1",
             "--workers", "2", "--log-level", "warning", "--smtp-url", "smtp://127.0.0.1:%d" % mailbox.port],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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
        self.sign_in_url = value(r"brand console:\s+(\S+)")
        self.base = "http://localhost:%d" % self.admin_port  # as the links it prints and emails
        self.edge = "http://127.0.0.1:%d" % self.edge_port

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


# MARK: the browser


class Browser:
    def __init__(self, service, shots, name):
        self.service = service
        self.shots = shots
        self.name = name
        self.pages = {}
        options = Options()
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        self.driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        self.wait = WebDriverWait(self.driver, 15)
        self.axe = Axe(self.driver)

    def go(self, path):
        self.driver.get(self.service.base + path if path.startswith("/") else path)
        self.ready()

    def ready(self):
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")

    @property
    def path(self):
        url = self.driver.current_url
        return url[len(self.service.base):] if url.startswith(self.service.base) else url

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector):
        return self.find(selector).text.strip()

    def fill(self, field_id, value):
        element = self.find("#" + field_id)
        element.clear()
        element.send_keys(value)

    def choose(self, field_id, value):
        Select(self.find("#" + field_id)).select_by_value(value)

    def press(self, selector):
        """Clicks, then waits for the page it leads to."""
        old = self.find("html")
        self.find(selector).click()
        self.wait.until(lambda d: self._stale(old))
        self.ready()

    def press_confirmed(self, selector):
        """Clicks a button whose form asks first (data-confirm), accepts, and waits for the page it leads to."""
        old = self.find("html")
        self.find(selector).click()
        self.wait.until(lambda d: self._alert(d))
        self.driver.switch_to.alert.accept()
        self.wait.until(lambda d: self._stale(old))
        self.ready()

    @staticmethod
    def _alert(driver):
        try:
            driver.switch_to.alert
            return True
        except Exception:
            return False

    def _stale(self, element):
        try:
            element.tag_name
            return False
        except Exception:
            return True

    def page_shown(self, label, narrow=False):
        """A screenshot, axe-core's serious and critical violations (none allowed),
        and with `narrow` the same page 375 px wide, which must not scroll sideways."""
        self.driver.save_screenshot(os.path.join(self.shots, "%s-%s.png" % (self.name, label)))
        self.axe.inject()
        results = self.axe.run(options={"resultTypes": ["violations"]})
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]
               if v["impact"] in ("serious", "critical")]
        check(not bad, "axe-core finds on %s (%s): %r" % (label, self.path, bad))
        self.pages[label] = self.path
        if narrow:
            self.driver.set_window_size(375, 812)
            try:
                width = self.driver.execute_script("return document.documentElement.scrollWidth")
                inner = self.driver.execute_script("return window.innerWidth")
                self.driver.save_screenshot(os.path.join(self.shots, "%s-%s-375.png" % (self.name, label)))
                check(width <= inner + 1, "%s scrolls sideways at 375 px: %d px wide" % (label, width))
            finally:
                self.driver.set_window_size(1280, 1000)

    def cookie_header(self):
        return "; ".join("%s=%s" % (c["name"], c["value"]) for c in self.driver.get_cookies())

    def fetch(self, path):
        """A GET with the browser's cookies (for downloads): (status, headers, text)."""
        request = urllib.request.Request(self.service.base + path)
        request.add_header("Cookie", self.cookie_header())
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()

    def sign_out(self):
        self.press("form[action='/logout'] button")

    def sign_in_owner(self, password="correct horse battery"):
        """Follows `serve --demo`'s one-time link and chooses a password."""
        self.driver.get(self.service.sign_in_url)
        self.ready()
        self.fill("password", password)
        self.fill("password_again", password)
        self.press("form button[type=submit]")
        check(self.path.startswith("/dashboard"), "signed in, the owner lands on the dashboard, not %s" % self.path)

    def sign_in_partner(self, mailbox, address):
        """Asks for the Partner Center's emailed link on the page already shown, and follows it."""
        self.fill("email", address)
        self.press("form[action='/partner/signin'] button")
        check(self.all("#sent"), "told the link is on its way")
        message = mailbox.wait_for(lambda m: address in m["to"] and "sign-in" in m["subject"], what="sign-in link")[0]
        self.go(re.search(r"(http://\S+/partner/signin/cll_\S+)", message["body"]).group(1))
        self.press("form button[type=submit]")
        check(self.path == "/partner", "signed in: %s" % self.path)

    def quit(self):
        self.driver.quit()
