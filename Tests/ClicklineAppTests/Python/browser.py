"""Headless Chromium for the browser workflows: each page checked with
axe-core and kept as a screenshot."""
import os
import re
import urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from service import check


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
