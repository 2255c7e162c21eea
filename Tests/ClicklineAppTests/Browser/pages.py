"""Loads Clickline's pages in headless Chromium through WebDriver, after their
scripts ran, and prints what a person would read on them as JSON; keeps a
screenshot of each page.

    python3 pages.py ADMIN_BASE_URL ADMIN_KEY PARTNER_PAGE_PATH SCREENSHOT_DIR
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, key, partner_path, shots = sys.argv[1:5]

options = Options()
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1100"):
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
wait = WebDriverWait(driver, 15)
result = {}


def text(selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text.strip()


try:
    # The dashboard asks for a key once, then keeps a session cookie.
    driver.get(base + "/dashboard")
    login_url = driver.current_url
    driver.find_element(By.ID, "key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait.until(lambda d: d.execute_script("return document.body && document.body.dataset.ready") == "1")
    result["dashboard"] = {
        "login_url": login_url,
        "url": driver.current_url,
        "kpis": {tile.get_attribute("data-kpi"): tile.find_element(By.CLASS_NAME, "value").text.strip()
                 for tile in driver.find_elements(By.CSS_SELECTOR, "[data-kpi]")},
        "total_clicks": text("#total-clicks"),
        "total_conversions": text("#total-conversions"),
        "offers": [[cell.text.strip() for cell in row.find_elements(By.TAG_NAME, "td")]
                   for row in driver.find_elements(By.CSS_SELECTOR, "#offers tbody tr[data-offer]")],
        "chart_points": len(driver.find_elements(By.CSS_SELECTOR, "svg.chart circle.clicks")),
    }
    driver.save_screenshot(shots + "/dashboard.png")

    # The live page updates itself from the event stream once a second.
    driver.get(base + "/ops")
    wait.until(lambda d: int(d.execute_script("return document.body.dataset.updates || '0'")) >= 2)
    result["ops"] = {
        "total_clicks": text("#total-clicks"),
        "total_billable": text("#total-billable"),
        "workers": len(driver.find_elements(By.CSS_SELECTOR, "#workers tbody tr")),
        "catalogue": [row.find_elements(By.TAG_NAME, "td")[6].text.strip()
                      for row in driver.find_elements(By.CSS_SELECTOR, "#workers tbody tr")],
        "status": text("#status"),
        "spark": driver.find_element(By.CSS_SELECTOR, "#spark polyline").get_attribute("points"),
    }
    driver.save_screenshot(shots + "/ops.png")

    # A member's page needs no login.
    driver.delete_all_cookies()
    driver.get(base + partner_path)
    wait.until(lambda d: d.execute_script("return document.body && document.body.dataset.ready") == "1")
    result["partner"] = {
        "share": text("#share"),
        "conversions": text("#conversions"),
        "expected": text("#expected"),
        "paid": text("#paid"),
        "rows": len(driver.find_elements(By.CSS_SELECTOR, "#conversion-table tbody tr")),
    }
    driver.save_screenshot(shots + "/partner.png")
finally:
    driver.quit()

print(json.dumps(result))
