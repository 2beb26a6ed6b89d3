"""The web kiosk in a real headless browser (Debian's chromium through its
chromedriver; Selenium from PyPI; nothing downloads a browser).

    kiosk_page.py URL SCREENSHOT_DIR OLD_PIN NEW_PIN

The page waits; the virtual card goes in (the page's insert button); the
holder's screen shows; a PIN change on the on-screen pad (old, new, new
again); back to the menu; the card comes out; the page waits again. A
screenshot of each screen goes to SCREENSHOT_DIR. Prints one line per step;
exits 1 on the first that fails.
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

url, shots, old_pin, new_pin = sys.argv[1:5]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,900", "--lang=zh-CN"):
    options.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
step = 0


def fail(why):
    print("FAIL " + why)
    driver.save_screenshot(os.path.join(shots, "failure.png"))
    driver.quit()
    sys.exit(1)


def wait_for(kind, text=None, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        main = driver.find_element(By.ID, "screen")
        if main.get_attribute("data-kind") == kind and (text is None or text in main.text):
            return main
        time.sleep(0.05)
    fail("no %s screen%s; the page shows: %s" % (kind, " with " + text if text else "", driver.find_element(By.ID, "screen").text))


def shot(name):
    global step
    step += 1
    path = os.path.join(shots, "%02d-%s.png" % (step, name))
    driver.save_screenshot(path)
    print("screenshot " + path)


def click(css):
    driver.find_element(By.CSS_SELECTOR, css).click()


def pad(digits):
    for d in digits:
        click('button[data-digit="%s"]' % d)
    dots = driver.find_element(By.ID, "dots").text
    if dots != "●" * len(digits):
        fail("the pad shows %r for %d digits" % (dots, len(digits)))
    click("#ok")


driver.get(url)
wait_for("waiting", "请插入社会保障卡")
print("waiting: ok")
shot("waiting")
click("#insert")
main = wait_for("menu", "社会保障号码")
print("cardholder: " + main.find_element(By.TAG_NAME, "h1").text)
shot("cardholder")
click('button[data-key="2"]')
wait_for("pin", "请输入原密码")
shot("pin-current")
pad(old_pin)
wait_for("pin", "请输入新密码")
shot("pin-new")
pad(new_pin)
wait_for("pin", "请再次输入新密码")
shot("pin-again")
pad(new_pin)
wait_for("message", "密码已修改")
print("pin change: ok")
shot("pin-changed")
# The page keeps no digits once a step is over.
if driver.execute_script("return pin") != "":
    fail("the page still holds PIN digits")
if old_pin in driver.page_source or new_pin in driver.page_source:
    fail("a PIN is in the page")
click('button[data-key="any"]')
wait_for("menu")
click("#remove")
wait_for("waiting", "请插入社会保障卡")
print("removed: ok")
shot("waiting-again")
driver.quit()
print("PASS")
