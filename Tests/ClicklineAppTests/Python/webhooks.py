"""Webhooks from the real binary to a receiver on loopback that checks every
delivery with the `standardwebhooks` package (PyPI), a verifier none of us
wrote: conversions and reversals, a secret's rotation, a retry and the
delivery log, a replay, 410 Gone, and an answer too big to read. Then a
partner's postback, its sub ids hostile, decoded by the receiver back to
exactly what the shopper's click carried; a slow endpoint that holds up
no other; and last the service killed mid-delivery, which sends the event
again as soon as it is started again.

    python3 webhooks.py CLICKLINE_BINARY

Prints a JSON summary; exits 1 with the reason when a step fails.
"""
import http.server
import json
import sys
import threading
import time
import traceback
import urllib.parse

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service import ClicklineService, Mailbox, check


class Receiver:
    """An HTTP server that keeps every request, and answers each path from a
    plan: a list of statuses used up in order, then 204."""

    def __init__(self):
        self.requests = []
        self.plans = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "method": "GET", "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": b"", "at": time.time()})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "at": time.time()})
                    plan = receiver.plans.get(self.path, [])
                    status = plan.pop(0) if plan else 204
                if isinstance(status, tuple) and status[0] == "hold":
                    time.sleep(status[1])
                    status = 204
                if status == "huge":
                    # Says 5 GB, and sends until the client stops reading.
                    self.send_response(200)
                    self.send_header("Content-Length", str(5 * 1024 ** 3))
                    self.end_headers()
                    chunk = b"x" * 65536
                    try:
                        for _ in range(80 * 1024):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                answer = b"" if status == 204 else ("answered %d" % status).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait_for(self, predicate, seconds=15, what="a delivery"):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                found = [r for r in self.requests if predicate(r)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("no %s within %d s; got %r" % (what, seconds, [(r["path"], r["body"][:80]) for r in self.requests]))

    def close(self):
        self.server.shutdown()


def verified(request, secret):
    """The payload if `secret` verifies the delivery (standardwebhooks), else None."""
    try:
        return Webhook(secret).verify(request["body"], request["headers"])
    except WebhookVerificationError:
        return None


def event_of(request, path, type_):
    if request["path"] != path:
        return False
    return json.loads(request["body"]).get("type") == type_


def main():
    binary = sys.argv[1]
    mailbox = Mailbox()
    receiver = Receiver()
    service = ClicklineService(binary, mailbox, ["--allow-private-event-targets", "--allow-http-event-targets"])
    summary = {}
    try:
        offers = service.ok("GET", "/v1/offers?limit=100")["items"]
        token = service.ok("GET", "/v1/offers/%d" % offers[0]["id"])["postback_token"]

        # A conversion and its reversal, each verified with the endpoint's secret.
        a = service.ok("POST", "/v1/webhooks", {"url": receiver.url("/a"), "events": ["conversion.created", "conversion.reversed"]})
        check(a["secret"].startswith("whsec_"), "a secret: %r" % a)
        service.ok("GET", "/v1/postback?token=%s&order_id=WH-1&amount=49.90" % token)
        created = receiver.wait_for(lambda r: event_of(r, "/a", "conversion.created"), what="conversion.created")[0]
        payload = verified(created, a["secret"])
        check(payload is not None, "standardwebhooks refused the delivery: %r" % created["headers"])
        check(payload["data"]["order_id"] == "WH-1" and payload["data"]["amount"] == 4990, "the conversion as the API shows it: %r" % payload)
        check(payload["id"] == created["headers"]["webhook-id"] and payload["id"].startswith("evt_"), "webhook-id is the event's id")
        check(verified(created, "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY") is None, "another secret does not verify it")
        conversion = payload["data"]["id"]
        service.ok("POST", "/v1/conversions/%d/reverse" % conversion, {})
        reversed_ = receiver.wait_for(lambda r: event_of(r, "/a", "conversion.reversed"), what="conversion.reversed")[0]
        check(verified(reversed_, a["secret"])["data"]["status"] == "reversed", "the reversal")
        summary["conversion"] = payload["id"]

        # Rotation: the next delivery carries two signatures, each verifying with its own secret.
        rotated = service.ok("POST", "/v1/webhooks/%d/rotate" % a["id"], {})
        check(rotated["secret"] != a["secret"], "a new secret")
        test_event = service.ok("POST", "/v1/webhooks/%d/test" % a["id"], {})["event_id"]
        test = receiver.wait_for(lambda r: r["headers"].get("webhook-id") == test_event, what="the test event")[0]
        signatures = test["headers"]["webhook-signature"].split(" ")
        check(len(signatures) == 2, "both signatures during the overlap: %r" % signatures)
        check(verified(test, rotated["secret"]) is not None, "the new secret verifies it")
        check(verified(test, a["secret"]) is not None, "the old secret still verifies it")
        check(json.loads(test["body"])["type"] == "webhook.test", "a test event")
        summary["signatures_after_rotation"] = len(signatures)

        # A receiver that fails once: retried about 5 s later, both attempts in the log.
        receiver.plans["/flaky"] = [500]
        flaky = service.ok("POST", "/v1/webhooks", {"url": receiver.url("/flaky"), "events": ["conversion.created"]})
        service.ok("GET", "/v1/postback?token=%s&order_id=WH-2&amount=10.00" % token)
        tries = receiver.wait_for(lambda r: r["path"] == "/flaky" and len([x for x in receiver.requests if x["path"] == "/flaky"]) >= 2,
                                  what="a retry")
        attempts = [r for r in receiver.requests if r["path"] == "/flaky"]
        check(len({r["headers"]["webhook-id"] for r in attempts}) == 1, "a retry has the same webhook-id")
        pause = attempts[1]["at"] - attempts[0]["at"]
        # 5 s less at most a tenth; no upper bound but the wait's, for a loaded machine.
        check(pause >= 4.4, "the first retry about 5 s later, not %.1f s" % pause)
        check(all(verified(r, flaky["secret"]) for r in attempts), "each attempt verifies")
        log = []
        for _ in range(50):
            log = service.ok("GET", "/v1/webhooks/%d/deliveries" % flaky["id"])["items"]
            if len(log) == 2:
                break
            time.sleep(0.1)
        check([entry["status_code"] for entry in log] == [204, 500], "the log, newest first: %r" % log)
        check(log[1]["response"] == "answered 500" and log[1]["attempt"] == 1 and log[0]["attempt"] == 2, "what was answered: %r" % log)
        summary["retry_after_seconds"] = round(pause, 1)

        # Replay: the same event again, under the same webhook-id (a receiver deduplicates by it).
        service.ok("POST", "/v1/webhooks/%d/replay" % a["id"], {"event_id": created["headers"]["webhook-id"]})
        receiver.wait_for(lambda r: r["path"] == "/a" and r["headers"]["webhook-id"] == created["headers"]["webhook-id"]
                          and r is not created, what="the replay")
        replays = [r for r in receiver.requests if r["headers"].get("webhook-id") == created["headers"]["webhook-id"]]
        check(len(replays) == 2 and verified(replays[1], rotated["secret"]) is not None, "replayed once, signed")
        summary["duplicates_after_replay"] = len(replays) - 1

        # 410 Gone disables the endpoint at once.
        receiver.plans["/gone"] = [410]
        gone = service.ok("POST", "/v1/webhooks", {"url": receiver.url("/gone"), "events": ["conversion.created"]})
        service.ok("POST", "/v1/webhooks/%d/test" % gone["id"], {})
        for _ in range(100):
            state = service.ok("GET", "/v1/webhooks/%d" % gone["id"])
            if state["status"] == "disabled":
                break
            time.sleep(0.1)
        check(state["status"] == "disabled" and "410" in (state["disabled_reason"] or ""), "disabled: %r" % state)

        # An answer of "5 GB": the attempt reads its first KiB and ends.
        receiver.plans["/huge"] = ["huge"]
        huge = service.ok("POST", "/v1/webhooks", {"url": receiver.url("/huge"), "events": ["conversion.created"]})
        started = time.time()
        service.ok("POST", "/v1/webhooks/%d/test" % huge["id"], {})
        for _ in range(200):
            log = service.ok("GET", "/v1/webhooks/%d/deliveries" % huge["id"])["items"]
            if log:
                break
            time.sleep(0.05)
        check(log and log[0]["status_code"] == 200 and len(log[0]["response"]) == 1024, "the first KiB, logged: %r" % log[:1])
        summary["huge_answer_seconds"] = round(time.time() - started, 1)

        # A partner's postback: sub ids that try to add parameters, cut the
        # URL, break a line or look like a macro arrive as they were clicked.
        hostile = {"sub1": "a&b=c#d", "sub2": "line\r\nX-Injected: 1", "sub3": "ünïcødé ✓ 日本", "sub4": "{click_id}", "sub5": "?sub1=evil&x"}
        template = receiver.url("/pb") + "?cid={click_id}&s1={sub1}&s2={sub2}&s3={sub3}&s4={sub4}&s5={sub5}&payout={commission}" \
            "&txid={order_id}&status={status}&who={partner_code}"
        postback = service.ok("PUT", "/v1/partner/postback", {"url_template": template, "method": "GET"}, token=service.partner_token)
        check(postback["status"] == "active", "the postback: %r" % postback)
        status, location = service.click(service.tracking_path + "?" + urllib.parse.urlencode(hostile))
        check(status == 302 and location, "a redirect: %r" % ((status, location),))
        click_id = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["clk"][0]
        time.sleep(0.6)  # the click is stored within the flush interval
        converted = service.ok("GET", "/v1/postback?token=%s&clk=%s&order_id=PB-1&amount=80.00" % (token, click_id))
        arrived = receiver.wait_for(lambda r: r["path"].startswith("/pb?"), what="the postback")[0]
        check(arrived["method"] == "GET", "sent as GET")
        query = urllib.parse.parse_qs(urllib.parse.urlparse(arrived["path"]).query, keep_blank_values=True)
        check(sorted(query) == ["cid", "payout", "s1", "s2", "s3", "s4", "s5", "status", "txid", "who"], "no parameter added: %r" % query)
        for index in range(1, 6):
            check(query["s%d" % index] == [hostile["sub%d" % index]], "sub%d: %r, not %r" % (index, query["s%d" % index], hostile["sub%d" % index]))
        lines = [line for line in converted["commissions"] if line["partner_id"] == converted["partner_id"]]
        held = any(line["status"] == "pending" for line in lines)
        check(query["cid"] == [click_id] and query["txid"] == ["PB-1"], "the macros: %r" % query)
        check(query["status"] == ["pending" if held else "approved"], "the commission's status: %r for %r" % (query["status"], lines))
        check(query["payout"] == ["%d.%02d" % divmod(sum(line["amount"] for line in lines), 100)], "the commission: %r" % query)
        partner = service.ok("GET", "/v1/partners/%d" % converted["partner_id"])
        check(query["who"] == [partner["code"]], "the partner's code: %r" % query)
        for _ in range(50):
            log = service.ok("GET", "/v1/partner/postback/deliveries", token=service.partner_token)["items"]
            if log:
                break
            time.sleep(0.1)
        check(log and log[0]["status_code"] == 200, "the partner sees its postback's log: %r" % log)
        summary["postback_parameters"] = len(query)

        # A slow endpoint fills its own slots only: ten events held 4 s each
        # there, and meanwhile another endpoint's event arrives at once.
        receiver.plans["/slow"] = [("hold", 4)] * 10
        slow = service.ok("POST", "/v1/webhooks", {"url": receiver.url("/slow"), "events": ["conversion.created"]})
        for _ in range(10):
            service.ok("POST", "/v1/webhooks/%d/test" % slow["id"], {})
        receiver.wait_for(lambda r: r["path"] == "/slow", what="the slow endpoint's first delivery")
        sent = time.time()
        quick = service.ok("POST", "/v1/webhooks/%d/test" % a["id"], {})["event_id"]
        arrived = receiver.wait_for(lambda r: r["headers"].get("webhook-id") == quick, what="the other endpoint's event")[0]
        check(arrived["at"] - sent < 3, "not held up by the slow endpoint: %.1f s" % (arrived["at"] - sent))
        at_slow = len([r for r in receiver.requests if r["path"] == "/slow"])
        check(at_slow <= 8, "at most 8 at once to one endpoint: %d" % at_slow)
        summary["other_endpoint_while_slow_seconds"] = round(arrived["at"] - sent, 2)

        # Killed mid-delivery: the receiver holds the request while the service
        # is killed; started again, the service sends the event again at once.
        receiver.plans["/held"] = [("hold", 3)]
        held = service.ok("POST", "/v1/webhooks", {"url": receiver.url("/held"), "events": ["conversion.created"]})
        held_event = service.ok("POST", "/v1/webhooks/%d/test" % held["id"], {})["event_id"]
        receiver.wait_for(lambda r: r["headers"].get("webhook-id") == held_event, what="the held delivery")
        killed_at = time.time()
        service.kill_and_restart()
        again = receiver.wait_for(lambda r: r["headers"].get("webhook-id") == held_event and r["at"] > killed_at, seconds=30,
                                  what="the delivery again after the restart")[0]
        check(verified(again, held["secret"]) is not None, "the same event, signed")
        check(again["at"] - killed_at < 30, "sent again at once, not after its 60 s lease: %.1f s" % (again["at"] - killed_at))
        summary["resent_after_restart_seconds"] = round(again["at"] - killed_at, 1)

        print(json.dumps(summary))
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    finally:
        service.stop()
        receiver.close()
        mailbox.close()


if __name__ == "__main__":
    main()
