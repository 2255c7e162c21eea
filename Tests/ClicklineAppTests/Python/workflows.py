"""The brand console and the Partner Center clicked through in headless
Chromium, one workflow per run, as a user would; each ends by checking its
result through the API or at the edge.

    python3 workflows.py CLICKLINE_BINARY SCREENSHOT_DIR WORKFLOW

Prints a JSON summary of the pages seen; exits 1 with the reason when a step fails.
"""
import csv
import io
import json
import re
import sys
import time
import traceback

from selenium.webdriver.common.keys import Keys

from browser import Browser
from service import ClicklineService, Failure, Mailbox, check

WORKFLOWS = {}


def workflow(function):
    WORKFLOWS[function.__name__.replace("_", "-")] = function
    return function


def demo_ids(service):
    partners = {p["code"]: p["id"] for p in service.ok("GET", "/v1/partners?limit=100")["items"]}
    offers = {o["name"]: o["id"] for o in service.ok("GET", "/v1/offers?limit=100")["items"]}
    return partners, offers


@workflow
def project_migration(service, browser, mailbox):
    """Add a Generate Promo Codes stage after a custom stage, delete the custom
    stage (its members move in), set up the offer, generate (one member already
    has a code and is told so), and email from the next stage."""
    partners, offers = demo_ids(service)
    codes_offer = offers["Spring codes"]
    ben, chloe = partners["ben7"], partners["chloe"]
    # Who has a code in the offer already: the demo gives Chloe one, not Ben.
    had = [m["partner_id"] for m in service.ok("GET", "/v1/offers/%d/members?limit=100" % codes_offer)["items"]
           if m["partner_id"] in (ben, chloe)]
    check(had == [chloe], "the demo gives Chloe a code: %r" % had)
    project = service.ok("POST", "/v1/projects", {"name": "Creators", "stages": [
        {"name": "Applied", "kind": "custom"}, {"name": "Welcomed", "kind": "custom"}]})
    project_id = project["id"]
    service.ok("POST", "/v1/projects/%d/members" % project_id, {"partner_ids": [ben, chloe]})

    browser.sign_in_owner()
    browser.press("nav a[href='/projects']")
    browser.page_shown("projects")
    browser.press("#projects a[href='/projects/%d/settings']" % project_id)
    browser.page_shown("settings")
    # Add "Codes" (Generate Promo Codes) right after "Applied".
    browser.fill("name", "Codes")
    browser.choose("kind", "generate_promo_codes")
    options = [o.text for o in browser.all("#position option")]
    next(o for o in browser.all("#position option") if o.text == "Before Welcomed").click()
    browser.press("#add-stage-button")
    names = [li.find_element("css selector", "strong").text for li in browser.all("#stage-list li")]
    check(names == ["Applied", "Codes", "Welcomed"], "stages after adding: %r (positions offered: %r)" % (names, options))

    # Delete "Applied": its members move on to "Codes".
    browser.press("#stage-list li:first-child button[data-delete]")
    names = [li.find_element("css selector", "strong").text for li in browser.all("#stage-list li")]
    check(names == ["Codes", "Welcomed"], "stages after deleting Applied: %r" % names)
    codes_row = browser.find("#stage-list li:first-child")
    check("2 members" in codes_row.text, "Applied's members moved into Codes: %r" % codes_row.text)

    # Set up offer: the existing promo-code offer.
    setup = browser.find("form[data-setup]")
    stage_id = setup.get_attribute("data-setup")
    browser.choose("offer-%s" % stage_id, str(codes_offer))
    browser.press("form[data-setup] button[type=submit]")
    browser.page_shown("settings-ready")

    # The board: select everyone in Codes and generate.
    browser.press("a[href='/projects/%d']" % project_id)
    browser.page_shown("board")
    stage = browser.find("form[data-stage='%s']" % stage_id)
    for box in stage.find_elements("css selector", "input[name=partner]"):
        box.click()
    browser.press("form[data-stage='%s'] button[data-action=generate]" % stage_id)
    browser.page_shown("generated")
    check("1 member(s) already had" in browser.text("#had"), "one member is told she had a code: %r" % browser.text("body"))
    rows = {r.get_attribute("data-member"): r.text for r in browser.all("#generated tbody tr")}
    check(len(rows) == 2, "two members generated: %r" % rows)
    check("already had one" in rows[str(chloe)] and "already" not in rows[str(ben)], "Chloe's row says so: %r" % rows)

    # Back on the board everyone is in Welcomed; email them from there.
    browser.press("#back-to-board")
    welcomed = [f for f in browser.all("form[data-stage]") if "Welcomed" in f.find_element("css selector", "h3").text][0]
    welcomed_id = welcomed.get_attribute("data-stage")
    boxes = welcomed.find_elements("css selector", "input[name=partner]")
    check(len(boxes) == 2, "both moved on to Welcomed: %d" % len(boxes))
    for box in boxes:
        box.click()
    welcomed.find_element("css selector", "details summary").click()
    subject = browser.find("#subject-%s" % welcomed_id)
    subject.clear()
    subject.send_keys("Your code is ready")
    browser.press("form[data-stage='%s'] button[data-action=email]" % welcomed_id)
    browser.page_shown("emailed")
    check("2 messages" in browser.text("#sent"), "the board says two messages are queued: %r" % browser.text("main"))

    received = mailbox.wait_for(lambda m: m["subject"] == "Your code is ready", what="stage email")
    deadline = time.time() + 10
    while len(received) < 2 and time.time() < deadline:
        time.sleep(0.2)
        received = [m for m in mailbox.messages if m["subject"] == "Your code is ready"]
    check(sorted(m["to"][0] for m in received) == ["ben@example.com", "chloe@example.com"], "both messages reached SMTP: %r" % received)
    # Through the API: each of them holds a code in the offer, Alice her old one.
    members = service.ok("GET", "/v1/offers/%d/members?limit=100" % codes_offer)["items"]
    holders = {m["partner_id"]: m.get("promo_code") for m in members}
    check(holders.get(ben, "").startswith("BEN"), "Ben has his code: %r" % holders)
    check(holders[chloe] == "CHLOE20", "Chloe kept hers: %r" % holders[chloe])
    return {"stages": names, "emails": len(received)}


@workflow
def promo_code_offer(service, browser, mailbox):
    """A promo-code offer with every field, members from a project, dates,
    review, generate; an email previewed and sent; the dashboard link in the
    message opens that member's page."""
    partners, _ = demo_ids(service)
    project = service.ok("POST", "/v1/projects", {"name": "Ambassadors", "stages": [{"name": "Joined", "kind": "custom"}]})
    service.ok("POST", "/v1/projects/%d/members" % project["id"], {"partner_ids": [partners["ben7"], partners["chloe"]]})

    browser.sign_in_owner()
    browser.press("#add-offer")
    browser.page_shown("offer-type")
    browser.press("#choose-promo")
    # A bad value first: it is refused at its field and what was typed stays.
    browser.fill("name", "Autumn ambassadors")
    browser.fill("description", "Codes for our ambassadors' followers.")
    browser.choose("payout_type", "percent")
    browser.fill("payout_value", "150")
    browser.press("#save-offer")
    check(browser.all("#payout_value-error"), "the payout's message is at its field")
    check(browser.find("#name").get_attribute("value") == "Autumn ambassadors", "the name typed is kept")
    browser.page_shown("offer-form-refused")
    browser.fill("payout_value", "12.5")
    browser.fill("group_name", "AUTUMN")
    browser.choose("naming_strategy", "name_discount")
    browser.choose("discount_type", "percent")
    browser.fill("discount_value", "15")
    browser.fill("min_purchase", "30.00")
    browser.find("#once_per_customer").click()
    browser.fill("usage_limit", "100")
    browser.fill("hold_days", "0")
    browser.page_shown("offer-form")
    browser.press("#save-offer")
    match = re.match(r"/offers/(\d+)", browser.path)
    check(match, "after saving, the offer's page: %s" % browser.path)
    offer_id = int(match.group(1))
    offer = service.ok("GET", "/v1/offers/%d" % offer_id)
    check(offer["type"] == "promo_code" and offer["payout"] == {"type": "percent", "value": 12.5}, "stored: %r" % offer)
    promo = offer["promo"]
    check(promo["discount"] == {"type": "percent", "value": 15} and promo["usage_limit_per_code"] == 100, "promo: %r" % promo)
    check(promo["restrictions"]["once_per_customer"] is True and promo["restrictions"]["min_purchase"] == 3000, "restrictions: %r" % promo)
    browser.page_shown("offer")

    # Add Members: choose the project, confirm, edit a code, set dates, review, generate, done.
    browser.press("#add-members")
    browser.find("#choose-projects input[value='%d']" % project["id"]).click()
    browser.press("#show-members")
    browser.page_shown("members-confirm")
    candidates = [r.get_attribute("data-candidate") for r in browser.all("#candidates tbody tr")]
    check(sorted(candidates) == sorted([str(partners["ben7"]), str(partners["chloe"])]), "candidates: %r" % candidates)
    browser.fill("code-%d" % partners["chloe"], "CHLOEFALL")
    browser.driver.execute_script("document.getElementById('starts_at').value = '2026-01-01';"
                                  "document.getElementById('ends_at').value = '2030-12-31';")
    browser.press("#review")
    browser.page_shown("members-review")
    check("2026-01-01" in browser.text("#review-dates"), "review shows the dates: %r" % browser.text("#review-dates"))
    codes = {r.get_attribute("data-member"): r.text for r in browser.all("#review tbody tr")}
    check("CHLOEFALL" in codes[str(partners["chloe"])], "the edited code is reviewed: %r" % codes)
    browser.press("#generate")
    browser.page_shown("members-done")
    browser.press("#done-button")
    members = {m["partner_id"]: m for m in service.ok("GET", "/v1/offers/%d/members" % offer_id)["items"]}
    check(members[partners["chloe"]]["promo_code"] == "CHLOEFALL", "Chloe's chosen code: %r" % members)
    check(members[partners["ben7"]]["promo_code"].startswith("BEN"), "Ben's code from his name and the discount: %r" % members)

    # Email Members: the default message, a preview per member, then Send.
    browser.press("#email-members")
    body = browser.find("#body").get_attribute("value")
    check("{{" in body, "the default message holds personal fields: %r" % body[:200])
    browser.press("#preview")
    browser.page_shown("email-preview")
    first = browser.text("#preview-body")
    check(not "{{" in first, "the preview is filled in")
    browser.press("#preview-next")
    second = browser.text("#preview-body")
    check(first != second, "member by member")
    check("CHLOEFALL" in first + second, "a preview holds Chloe's code")
    browser.press("#send")
    browser.page_shown("email-sent")
    received = mailbox.wait_for(lambda m: "chloe@example.com" in m["to"], what="Chloe's message")[0]
    check("CHLOEFALL" in received["body"], "Chloe's message holds her code")
    link = re.search(r"(http://\S+/p/cld_\S+)", received["body"])
    check(link, "the message holds her dashboard link: %r" % received["body"])
    browser.go(link.group(1))
    browser.page_shown("member-page", narrow=True)
    check(browser.find("code[id^=share]").text == "CHLOEFALL", "her page shows her code")
    return {"offer": offer_id, "message": received["subject"]}


@workflow
def dashboard(service, browser, mailbox):
    """Range, filters, search, columns, the CSV parsed back, Send Payment,
    drill-down into an offer, editing a member."""
    partners, offers = demo_ids(service)
    haircare = offers["Haircare summer sale"]
    offer = service.ok("GET", "/v1/offers/%d" % haircare)
    service.ok("PATCH", "/v1/offers/%d" % haircare, {"hold_days": 0})
    status, location = service.click("/haircare/abc123")
    check(status == 302, "the edge redirects: %d" % status)
    click_id = re.search(r"clk=([^&]+)", location).group(1)
    time.sleep(1.0)
    service.ok("GET", "/v1/postback?token=%s&clk=%s&order_id=DASH-1&amount=120.00" % (offer["postback_token"], click_id))

    browser.sign_in_owner()
    browser.page_shown("dashboard")
    check(len(browser.all("svg.chart circle.clicks")) >= 1, "the chart has a day of clicks")
    # The live page, reached from the same navigation, updates itself from the event stream.
    browser.press("nav a[href='/ops']")
    browser.wait.until(lambda d: int(d.execute_script("return document.body.dataset.updates || '0'")) >= 2)
    check(browser.text("#total-clicks") == "1", "the live page counts the click: %r" % browser.text("#total-clicks"))
    check(len(browser.all("#workers tbody tr")) == 2, "one row per edge worker")
    browser.page_shown("ops")
    browser.press("nav a[href='/dashboard']")
    check(browser.find("#range").get_attribute("value") == "last_6_months", "last six months by default")
    check(browser.text("[data-kpi=conversions] .value") == "1", "one conversion: %r" % browser.text("#kpis"))
    browser.choose("range", "month_to_date")
    browser.press("#apply")
    check("range=month_to_date" in browser.path, "the range is in the address: %s" % browser.path)
    # Filters: active link offers, searched by name.
    browser.choose("status", "active")
    browser.choose("type", "link")
    browser.fill("q", "Haircare")
    browser.press("#apply")
    rows = [r.get_attribute("data-offer") for r in browser.all("#offers tbody tr[data-offer]")]
    check(rows == [str(haircare)], "only Haircare matches: %r" % rows)
    # A custom range.
    browser.driver.execute_script("document.getElementById('from').value = '2026-01-01';"
                                  "document.getElementById('to').value = '2030-12-31';")
    browser.press("#apply")
    check("from=2026-01-01" in browser.path, "a custom range: %s" % browser.path)
    # Columns: hide clicks; remembered on the next visit.
    browser.find("#columns summary").click()
    box = browser.find("#columns input[value=clicks]")
    if box.is_selected():
        box.click()
    browser.press("#apply")
    check(not browser.all("#offers th[data-column=clicks]"), "clicks hidden")
    browser.go("/dashboard")
    check(not browser.all("#offers th[data-column=clicks]"), "the choice is remembered")
    browser.page_shown("dashboard-columns")
    # The CSV, parsed back.
    href = browser.find("#csv").get_attribute("href")
    status, headers, text = browser.fetch(href[len(service.base):])
    check(status == 200 and headers.get("Content-Type", "").startswith("text/csv"), "a CSV: %r" % headers)
    table = list(csv.DictReader(io.StringIO(text)))
    haircare_row = next(r for r in table if r.get("name", r.get("offer_name")) == "Haircare summer sale")
    check(haircare_row.get("conversions") == "1", "the CSV's Haircare row: %r" % haircare_row)

    # Send Payment: the confirmation shows the total and the number of partners.
    browser.go("/dashboard")
    browser.press("#offers tr[data-offer='%d'] a[href='/offers/%d/pay']" % (haircare, haircare))
    browser.page_shown("pay-confirm")
    check(browser.text("#pay-total").startswith("12.00"), "10 %% of 120.00: %r" % browser.text("#pay-total"))
    check(browser.text("#pay-partners") == "1", "one partner")
    browser.press("#confirm-payment")
    browser.page_shown("payments")
    payments = service.ok("GET", "/v1/payments")["items"]
    check(len(payments) == 1 and payments[0]["amount"] == 1200, "one payment of 12.00: %r" % payments)

    # Drill down into the offer and edit a member's payout.
    browser.go("/dashboard")
    browser.press("#offers tr[data-offer='%d'] td a" % haircare)
    browser.page_shown("offer-page")
    ben = partners["ben7"]
    browser.press("#members tr[data-member='%d'] a[href$='/edit']" % ben)
    browser.choose("payout_type", "percent")
    browser.fill("payout_value", "12")
    browser.page_shown("member-edit")
    browser.press("#save-member")
    member = next(m for m in service.ok("GET", "/v1/offers/%d/members?limit=100" % haircare)["items"] if m["partner_id"] == ben)
    check(member.get("payout_override") == {"type": "percent", "value": 12}, "Ben's payout: %r" % member)
    return {"rows": len(table), "payment": payments[0]["amount"]}


@workflow
def partner_center(service, browser, mailbox):
    """A partner signs in by emailed link, creates an ad and generates a link
    for its child with the ad. The link redirects at the edge, and the click
    shows in the child's credit and in the ad's stats."""
    browser.go("/partner")
    check(browser.path.startswith("/partner/signin"), "asked to sign in: %s" % browser.path)
    browser.page_shown("signin", narrow=True)
    browser.sign_in_partner(mailbox, "alice@example.com")
    browser.page_shown("my-offers", narrow=True)

    # Resources → My Ads → Create Ad.
    browser.find("details.menu summary").click()
    browser.press("details.menu a[href='/partner/ads']")
    browser.fill("name", "Spring story")
    browser.fill("description", "Swipe-up in the spring stories")
    browser.choose("media_type", "video")
    browser.driver.execute_script("document.getElementById('starts_at').value = '2026-11-01';")
    browser.press("#save-ad")
    check(browser.all("#ad-created"), "the ad is created")
    browser.page_shown("ads", narrow=True)

    # Resources → Link Generator: for Ben, to the haircare link, with the ad.
    browser.find("details.menu summary").click()
    browser.press("details.menu a[href='/partner/links']")
    browser.page_shown("link-generator", narrow=True)
    websites = browser.all("#my-links tbody tr[data-link]")
    check(websites and "shop.example.com" in websites[0].text, "My Sales Websites show where they lead")
    check("Ben Ortiz" in browser.text("#my-children"), "My Referral Partners")
    browser.choose("for", "ben7")
    browser.choose("link", "haircare")
    browser.choose("ad", "spring-story")
    # By keyboard alone: Tab reaches Generate Link, its focus is visible, Enter sends the form.
    body = browser.find("body")
    body.click()
    focused = None
    for _ in range(40):
        browser.driver.switch_to.active_element.send_keys(Keys.TAB)
        focused = browser.driver.switch_to.active_element
        if focused.get_attribute("id") == "generate-link":
            break
    check(focused is not None and focused.get_attribute("id") == "generate-link", "Tab reaches Generate Link")
    outline = browser.driver.execute_script("var s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth")
    check(not outline.startswith("none") and not outline.endswith(" 0px"), "the focus is visible: %s" % outline)
    old = browser.find("html")
    focused.send_keys(Keys.ENTER)
    browser.wait.until(lambda d: browser._stale(old))
    browser.ready()
    url = browser.find("#generated-url").get_attribute("value")
    check(url.endswith("/haircare/abc123.ben7/spring-story"), "the URL: %s" % url)
    browser.find("#copy-url").click()
    browser.wait.until(lambda d: browser.text("#copy-url") == "Copied")
    browser.page_shown("link-generated", narrow=True)

    # The URL at the edge.
    path = url[url.index("/haircare"):]
    status, location = service.click(path)
    check(status == 302 and location.startswith("https://shop.example.com/collections/haircare"), "redirected: %d %s" % (status, location))
    # The click is Ben's credit, and in the ad's stats.
    token = None
    deadline = time.time() + 10
    seen = False
    while time.time() < deadline and not seen:
        browser.go("/partner/stats")
        ad_rows = {r.get_attribute("data-name"): r for r in browser.all("#by-ad tbody tr[data-name]")}
        child_rows = {r.get_attribute("data-name"): r for r in browser.all("#by-child tbody tr[data-name]")}
        seen = "spring-story" in ad_rows and "ben7" in child_rows
        if not seen:
            time.sleep(0.5)
    check(seen, "the click shows by ad and by child: %r" % browser.text("main"))
    clicks = ad_rows["spring-story"].find_elements("css selector", "td")[1].text
    check(clicks == "1", "one click on the ad: %s" % clicks)
    browser.page_shown("stats", narrow=True)
    browser.choose("partner", "ben7")
    browser.press("#show-stats")
    check("Ben Ortiz" in browser.text("#stats-subject"), "Ben's own stats")
    check(browser.all("#by-link tbody tr[data-name='haircare']"), "Ben's credit: the click is his: %r" % browser.text("main"))
    return {"url": url}


@workflow
def partner_postback(service, browser, mailbox):
    """A partner sets its postback in the Partner Center: a macro that does
    not exist and an address inside the brand's network are refused at the
    field, a good template is saved; the brand sees it and switches it off,
    and the partner's page says so."""
    browser.go("/partner")
    browser.sign_in_partner(mailbox, "alice@example.com")
    browser.press("nav a[href='/partner/postback']")
    browser.page_shown("postback", narrow=True)
    check("Nothing sent yet" in browser.text("#attempts"), "no attempts yet")

    browser.fill("url_template", "https://93.184.215.14/pb?cid={clickid}")
    browser.press("#save-postback")
    check("{clickid} is not a macro" in browser.text("#url_template-error"), "the unknown macro is named: %r" % browser.text("main"))
    browser.page_shown("postback-refused", narrow=True)
    browser.fill("url_template", "https://127.0.0.1/pb?cid={click_id}")
    browser.press("#save-postback")
    check("127.0.0.1" in browser.text("#url_template-error"), "an address inside is refused: %r" % browser.text("main"))

    template = "https://93.184.215.14/pb?cid={sub1}&payout={commission}&txid={order_id}"
    browser.fill("url_template", template)
    browser.choose("method", "POST_FORM")
    browser.press("#save-postback")
    check(browser.all("#postback-saved") and "on" in browser.text("#postback-status"), "saved and on: %r" % browser.text("main"))

    alice = next(p for p in service.ok("GET", "/v1/partners?limit=100")["items"] if p["email"] == "alice@example.com")
    seen = service.ok("GET", "/v1/partners/%d/postback" % alice["id"])
    check(seen["url_template"] == template and seen["method"] == "POST_FORM", "the brand sees it: %r" % seen)
    service.ok("PATCH", "/v1/partners/%d/postback" % alice["id"], {"status": "disabled"})
    browser.go("/partner/postback")
    check("off" in browser.text("#postback-status") and "disabled by the brand" in browser.text("#postback-status"),
          "the partner is told: %r" % browser.text("#postback-status"))
    browser.page_shown("postback-off", narrow=True)
    return {"template": template}


@workflow
def webhooks(service, browser, mailbox):
    """The owner adds a webhook endpoint in the console: a bad URL and no
    event type are refused at their fields; the secret is shown once; a
    test event reaches a receiver on loopback that verifies it with that
    secret (standardwebhooks); the log shows it; a new secret, then off."""
    from webhooks import Receiver, verified
    receiver = Receiver()
    try:
        browser.sign_in_owner()
        browser.press("nav a[href='/webhooks']")
        browser.page_shown("webhooks", narrow=True)
        browser.fill("url", "ftp://hooks.example.com/")
        browser.press("#save-webhook")
        check("http" in browser.text("#url-error"), "the URL is refused: %r" % browser.text("main"))
        browser.fill("url", receiver.url("/console"))
        for box in browser.all("input[type=checkbox][name^=event_]"):
            if box.is_selected():
                box.click()
        browser.press("#save-webhook")
        check("at least one" in browser.text("#events-error"), "an event type is needed: %r" % browser.text("main"))
        browser.page_shown("webhooks-refused", narrow=True)
        browser.find("#event_conversion\\.created").click()
        browser.press("#save-webhook")
        secret = browser.text("#new-secret")
        check(secret.startswith("whsec_"), "the secret is shown once: %r" % browser.text("main"))
        browser.page_shown("webhook-created", narrow=True)
        browser.go("/webhooks")
        check(secret not in browser.text("main"), "and not again")

        browser.press("#endpoints a")
        browser.press("#test-webhook")
        check("on its way" in browser.text("#webhook-notice"), "the test is sent")
        delivered = receiver.wait_for(lambda r: r["path"] == "/console", what="the test event")[0]
        check(verified(delivered, secret) is not None, "the receiver verifies it with the secret the page showed")
        for _ in range(50):
            browser.go(browser.path)
            if "204" in browser.text("#attempts"):
                break
            time.sleep(0.2)
        check(delivered["headers"]["webhook-id"] in browser.text("#attempts") and "204" in browser.text("#attempts"),
              "the log shows the delivery: %r" % browser.text("#attempts"))
        browser.page_shown("webhook", narrow=True)

        browser.press("#rotate-webhook")
        rotated = browser.text("#new-secret")
        check(rotated.startswith("whsec_") and rotated != secret, "a new secret")
        browser.press("#disable-webhook")
        check("disabled" in browser.text("#endpoint-status"), "switched off: %r" % browser.text("#endpoint-status"))
        return {"endpoint": browser.text("#endpoint-url")}
    finally:
        receiver.close()


@workflow
def refusals(service, browser, mailbox):
    """A viewer's action, a missing CSRF token, another partner's page, a bad form value."""
    viewer_link = service.users_create("viewer@example.com", "viewer")
    browser.driver.get(viewer_link)
    browser.ready()
    browser.fill("password", "viewer password")
    browser.fill("password_again", "viewer password")
    browser.press("form button[type=submit]")
    browser.page_shown("viewer-dashboard")
    check(not browser.all("#add-offer"), "a viewer is not shown Add Offer")
    # The viewer sends a form anyway (with its own token): 403.
    csrf = browser.find("form[action='/logout'] input[name=csrf]").get_attribute("value")
    browser.driver.execute_script("""
        var form = document.createElement('form'); form.method = 'post'; form.action = '/offers/1/status';
        [['csrf', arguments[0]], ['status', 'paused']].forEach(function (pair) {
          var input = document.createElement('input'); input.type = 'hidden'; input.name = pair[0]; input.value = pair[1]; form.appendChild(input);
        });
        document.body.appendChild(form); form.submit();""", csrf)
    browser.wait.until(lambda d: "Not allowed" in d.title)
    browser.page_shown("viewer-refused")
    check("viewer" in browser.text("main"), "the page says why: %r" % browser.text("main"))
    check(service.ok("GET", "/v1/offers/1")["status"] == "active", "nothing changed")
    browser.press("form[action='/logout'] button")

    # The owner, a form without its token: 403, nothing stored.
    browser.sign_in_owner()
    browser.go("/offers/new?type=link")
    browser.fill("name", "Tokenless")
    browser.fill("payout_value", "10")
    browser.fill("destination_url", "https://shop.example.com/")
    browser.driver.execute_script("document.querySelector('#offer-form input[name=csrf]').remove()")
    browser.press("#save-offer")
    check("This form has expired" in browser.text("main"), "a form without its token is refused: %r" % browser.text("main"))
    browser.page_shown("no-token")
    # A bad value at its field, what was typed kept.
    browser.go("/offers/new?type=link")
    browser.fill("name", "Bad link")
    browser.fill("payout_value", "10")
    browser.fill("destination_url", "javascript:alert(1)")
    browser.press("#save-offer")
    check(browser.all("#destination_url-error"), "the destination's message is at its field")
    check(browser.find("#destination_url").get_attribute("value") == "javascript:alert(1)", "what was typed is kept")
    browser.page_shown("bad-value")
    names = [o["name"] for o in service.ok("GET", "/v1/offers?limit=100")["items"]]
    check("Tokenless" not in names and "Bad link" not in names, "nothing stored: %r" % names)
    browser.press("form[action='/logout'] button")

    # A partner and another partner's page: 404.
    browser.go("/partner/signin")
    browser.sign_in_partner(mailbox, "alice@example.com")
    browser.go("/partner/stats?partner=chloe")
    check("Not found" in browser.driver.title, "Chloe's stats are not Alice's to see: %r" % browser.driver.title)
    browser.page_shown("other-partner")
    return {"refused": 4}


@workflow
def link_rules(service, browser, mailbox):
    """On a link offer's page, give one link an iPhone rule and a cap, see a
    bad condition refused at its line with nothing stored, then give the
    offer's other links a default split; each ends at the edge."""
    _, offers = demo_ids(service)
    offer = offers["Haircare summer sale"]
    links = {l["code"]: l["id"] for l in service.ok("GET", "/v1/offers/%d/links" % offer)["items"]}
    browser.sign_in_owner()
    browser.go("/offers/%d" % offer)
    browser.page_shown("offer-links")
    check(browser.text("#links-table tr[data-link=shampoo] td:nth-child(3)") == "none", "no rules yet")
    browser.press("#links-table tr[data-link=shampoo] a")
    browser.page_shown("link-rules")
    browser.fill("rule_0_name", "iPhone app")
    browser.fill("rule_0_if", "device ios")
    browser.fill("rule_0_to", "https://apps.apple.com/app/id123")
    # A second rule with a condition the editor does not know: refused at its line, nothing stored.
    browser.fill("rule_1_if", "country CA\nweather sunny")
    browser.fill("rule_1_to", "https://shop.example.ca/")
    browser.choose("cap_0_scope", "link")
    browser.choose("cap_0_period", "total")
    browser.fill("cap_0_max", "500")
    browser.fill("cap_0_fallback", "https://shop.example.com/sold-out")
    browser.press("#save-rules")
    message = browser.text("#rule_1_if-error")
    check(message.startswith("Line 2:") and "weather" in message, "the refusal names the line: %r" % message)
    check(browser.find("#rule_1_if").get_attribute("aria-invalid") == "true", "the field is marked invalid")
    check(browser.find("#rule_0_to").get_attribute("value") == "https://apps.apple.com/app/id123", "what was typed is kept")
    browser.page_shown("link-rules-refused")
    stored = service.ok("GET", "/v1/offers/%d/links/%d" % (offer, links["shampoo"]))
    check(stored["rules"] == [] and stored["caps"] == [], "nothing stored: %r" % stored)
    browser.fill("rule_1_if", "")
    browser.fill("rule_1_to", "")
    browser.press("#save-rules")
    check(browser.path.startswith("/offers/%d?saved=1" % offer), "saved, back on the offer: %s" % browser.path)
    check(browser.text("#links-table tr[data-link=shampoo] td:nth-child(3)") == "1 rule, 1 cap", "the page shows it")
    stored = service.ok("GET", "/v1/offers/%d/links/%d" % (offer, links["shampoo"]))
    check(len(stored["rules"]) == 1 and stored["rules"][0]["name"] == "iPhone app", "one rule stored: %r" % stored["rules"])
    check(stored["caps"][0]["max_clicks"] == 500 and stored["caps"][0]["period"] == "total", "the cap: %r" % stored["caps"])

    # The offer's default for its other links: a 50/50 split for Canadians... and everyone else.
    browser.press("#edit-default-rules")
    browser.page_shown("offer-rules")
    browser.fill("rule_0_name", "Landing test")
    browser.fill("rule_0_if", "after 2020-01-01T00:00:00Z")
    browser.fill("rule_0_to", "https://shop.example.com/a 50\nhttps://shop.example.com/b 50")
    browser.press("#save-rules")
    check("1 rule" in browser.text("#default-rules"), "the defaults are shown: %r" % browser.text("#default-rules"))
    check(browser.text("#links-table tr[data-link=haircare] td:nth-child(3)") == "the offer's (1 rule)", "the other link takes them")
    # Both forms show again what was saved.
    browser.press("#edit-default-rules")
    check(browser.find("#rule_0_if").get_attribute("value") == "after 2020-01-01T00:00:00Z", "the condition reads back")
    check(browser.find("#rule_0_to").get_attribute("value") == "https://shop.example.com/a 50\nhttps://shop.example.com/b 50",
          "the split reads back: %r" % browser.find("#rule_0_to").get_attribute("value"))
    browser.go("/offers/%d/links/%d/rules" % (offer, links["shampoo"]))
    check(browser.find("#cap_0_max").get_attribute("value") == "500", "the cap reads back")
    check(browser.find("#cap_0_period option[value=total]").get_attribute("selected") is not None, "its period too")

    # At the edge (within a second or two of the change): the iPhone rule, and the default split.
    deadline = time.time() + 5
    while True:
        _, shampoo = service.click("/shampoo/abc123")
        _, haircare = service.click("/haircare/abc123")
        if (shampoo or "").startswith("https://apps.apple.com/app/id123") and re.match(r"https://shop\.example\.com/[ab]\?", haircare or ""):
            break
        check(time.time() < deadline, "the edge did not take the rules: %r, %r" % (shampoo, haircare))
        time.sleep(0.2)
    return {"link": shampoo, "default": haircare}


@workflow
def conversions_and_payments(service, browser, mailbox):
    """A conversion's attribution record and its reversal after a confirmation;
    what is due per partner, paid for chosen partners; the history and its CSV."""
    partners, offers = demo_ids(service)
    haircare = offers["Haircare summer sale"]
    offer = service.ok("GET", "/v1/offers/%d" % haircare)
    service.ok("PATCH", "/v1/offers/%d" % haircare, {"hold_days": 0})
    sales = {}
    for path, order, amount in (("/haircare/abc123", "ALICE-1", "100.00"), ("/haircare/abc123.ben7", "BEN-1", "50.00")):
        status, location = service.click(path)
        check(status == 302, "the edge redirects %s: %d" % (path, status))
        sales[order] = re.search(r"clk=([^&]+)", location).group(1)
    time.sleep(1.0)
    for order, amount in (("ALICE-1", "100.00"), ("BEN-1", "50.00")):
        service.ok("GET", "/v1/postback?token=%s&clk=%s&order_id=%s&amount=%s" % (offer["postback_token"], sales[order], order, amount))

    browser.sign_in_owner()
    browser.press("nav a[href='/conversions']")
    browser.page_shown("conversions")
    check(len(browser.all("#conversions tbody tr[data-conversion]")) == 2, "two conversions")
    browser.fill("partner", "Ben")
    browser.press("#filter")
    rows = browser.all("#conversions tbody tr[data-conversion]")
    check(len(rows) == 1 and "BEN-1" in rows[0].text, "filtered to Ben's: %r" % [r.text for r in rows])
    conversion_id = int(rows[0].get_attribute("data-conversion"))
    browser.press("#conversions a[href='/conversions/%d']" % conversion_id)
    browser.page_shown("conversion")
    check("Ben Ortiz" in browser.text("#attribution") and "is credited" in browser.text("#attribution"),
          "the attribution record says why: %r" % browser.text("#attribution"))
    check("parent_override" in browser.text("#lines"), "Alice's override line is shown")
    browser.press_confirmed("#reverse")
    check(browser.text("#conversion-status") == "reversed", "reversed: %r" % browser.text("#conversion-status"))
    check(service.ok("GET", "/v1/conversions?partner_id=%d" % partners["ben7"])["items"][0]["status"] == "reversed", "reversed in the API")

    # Payments: only Alice's own sale is due now; pay her as a chosen partner.
    browser.press("nav a[href='/payments']")
    browser.page_shown("payments")
    due = {r.get_attribute("data-partner"): r.text for r in browser.all("#due tbody tr[data-partner]")}
    check(list(due) == [str(partners["abc123"])] and "10.00" in due[str(partners["abc123"])], "due: %r" % due)
    browser.find("#pay-%d" % partners["abc123"]).click()
    browser.find("input[name=scope][value=chosen]").click()
    browser.fill("reference", "December payout")
    browser.press_confirmed("#send-payment")
    check("1 payments" in browser.text("#paid"), "paid: %r" % browser.text("main"))
    check("December payout" in browser.text("#history"), "the history shows it")
    browser.page_shown("paid")
    status, headers, text = browser.fetch("/payments.csv")
    table = list(csv.DictReader(io.StringIO(text)))
    check(len(table) == 1 and table[0]["amount"] == "10.00" and table[0]["reference"] == "December payout", "the CSV: %r" % table)
    payments = service.ok("GET", "/v1/payments")["items"]
    check(len(payments) == 1 and payments[0]["partner_id"] == partners["abc123"] and payments[0]["amount"] == 1000, "API: %r" % payments)

    # Quality: both partners' clicks, none invalid; the CSV has the same; the review queue is empty.
    browser.press("nav a[href='/quality']")
    browser.page_shown("quality", narrow=True)
    shown = {r.get_attribute("data-partner"): r.text for r in browser.all("#quality tbody tr[data-partner]")}
    check({str(partners["abc123"]), str(partners["ben7"])} <= set(shown), "quality rows: %r" % shown)
    check(all("0.0 %" in text for text in shown.values()), "no invalid clicks: %r" % shown)
    status, headers, text = browser.fetch("/quality.csv")
    quality = {row["partner_id"]: row for row in csv.DictReader(io.StringIO(text))}
    check(quality[str(partners["ben7"])]["invalid_clicks"] == "0" and int(quality[str(partners["ben7"])]["clicks"]) >= 1,
          "the quality CSV: %r" % quality)
    browser.press("#quality tr[data-partner='%d'] td[data-column=invalid] a" % partners["ben7"])
    browser.page_shown("clicks", narrow=True)
    check("No clicks flagged here." in browser.text("#clicks"), "Ben's clicks are clean: %r" % browser.text("#clicks"))
    browser.find("input[name=flagged]").click()
    browser.press("#apply")
    check(len(browser.all("#clicks tbody tr[data-click]")) >= 1, "unfiltered, Ben's click: %r" % browser.text("#clicks"))
    browser.press("nav a[href='/review']")
    browser.page_shown("review")
    check("Nothing waits for review." in browser.text("#review-queue"), "the queue is empty: %r" % browser.text("#review-queue"))
    return {"reversed": conversion_id, "paid": payments[0]["amount"]}


@workflow
def team(service, browser, mailbox):
    """An owner invites a teammate by email; the invite signs them in once;
    the owner signs in with the password and changes the teammate's role; the
    active sessions are listed."""
    browser.sign_in_owner()
    browser.press("nav a[href='/team']")
    browser.fill("email", "ops@example.com")
    browser.choose("role", "ops")
    browser.press("#send-invite")
    check(browser.all("#invited"), "the invite is sent")
    check("ops@example.com" in browser.text("#invites"), "and open")
    browser.page_shown("team")
    message = mailbox.wait_for(lambda m: "ops@example.com" in m["to"], what="invite")[0]
    invite = re.search(r"(http://\S+/invite/cll_\S+)", message["body"]).group(1)
    browser.sign_out()

    browser.go(invite)
    browser.page_shown("invite")
    browser.fill("password", "ops password 1")
    browser.fill("password_again", "ops password 2")
    browser.press("form button[type=submit]")
    check(browser.all("#password-error"), "two different passwords are refused at the field")
    browser.fill("password", "ops password 1")
    browser.fill("password_again", "ops password 1")
    browser.press("form button[type=submit]")
    check(browser.path == "/ops", "an ops teammate lands on the live page: %s" % browser.path)
    check("ops@example.com" in browser.text("header"), "signed in as the invited address")
    browser.sign_out()
    browser.go(invite)
    check("used already" in browser.text("#unusable"), "the invite worked once")

    # The owner, by password this time: the teammate becomes a viewer.
    browser.go("/login")
    browser.page_shown("login")
    browser.fill("email", "owner@example.com")
    browser.fill("password", "correct horse battery")
    browser.press("form button[type=submit]")
    browser.go("/team")
    row = browser.find("#team tr[data-teammate='ops@example.com']")
    select_id = row.find_element("css selector", "select").get_attribute("id")
    browser.choose(select_id, "viewer")
    browser.press("#team tr[data-teammate='ops@example.com'] form[action$='/role'] button")
    check("viewer" in browser.text("#team tr[data-teammate='ops@example.com']"), "the role changed")
    sessions = browser.all("#sessions tbody tr[data-session]")
    check(sessions and any("this one" in s.text for s in sessions), "the active sessions are listed: %r" % [s.text for s in sessions])
    browser.page_shown("team-after")
    browser.sign_out()
    # The teammate, now a viewer, reads and is not offered changes.
    browser.go("/login")
    browser.fill("email", "ops@example.com")
    browser.fill("password", "ops password 1")
    browser.press("form button[type=submit]")
    check(browser.path == "/dashboard" and not browser.all("#add-offer"), "a viewer reads the dashboard only: %s" % browser.path)
    return {"sessions": len(sessions)}


def main():
    binary, shots, name = sys.argv[1:4]
    mailbox = Mailbox()
    # The webhooks workflow delivers to a receiver on loopback over plain http.
    extra = ["--allow-private-event-targets", "--allow-http-event-targets"] if name == "webhooks" else []
    service = ClicklineService(binary, mailbox, extra)
    browser = None
    try:
        browser = Browser(service, shots, name)
        started = time.time()
        result = WORKFLOWS[name](service, browser, mailbox)
        print(json.dumps({"workflow": name, "result": result, "pages": browser.pages, "seconds": round(time.time() - started, 1)}))
    except Exception as error:
        if browser is not None:
            try:
                browser.driver.save_screenshot("%s/%s-failed.png" % (shots, name))
                print("failed on %s:\n%s" % (browser.path, browser.text("body")[:2000]), file=sys.stderr)
            except Exception:
                pass
        traceback.print_exc()
        sys.exit(1)
    finally:
        if browser is not None:
            browser.quit()
        service.stop()
        mailbox.close()


if __name__ == "__main__":
    main()
