"""The portal in a real browser: Debian's chromium driven by Selenium 4 (chromium-driver), against a
LiveHarness (every fake a server process, the reference integration syncing payments by webhook).

The harness's Salesforce serves HTTPS with a certificate from its own local CA; this test browser
alone accepts it with ``--ignore-certificate-errors`` (loading a CA into Chromium needs an NSS
database, which a throwaway profile does not have). Selenium Manager is kept offline
(``SE_OFFLINE=true``): the driver is /usr/bin/chromedriver. Screenshots go to reports/portal/."""
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from simulators.harness import LiveHarness
from simulators.registry import free_port
from simulators.scenario import Lifecycle

from .conftest import PASSWORD, user

pytestmark = [pytest.mark.live, pytest.mark.slow]   # a real browser: make test-all

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
REPORTS = Path(__file__).resolve().parents[2] / "reports" / "portal"
ACME = user("ACME-IRVINE")

if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    pytest.fail("chromium and chromium-driver are required (apt-get install -y chromium chromium-driver; "
                ".ci/run installs them)", pytrace=False)

os.environ["SE_OFFLINE"] = "true"
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    run = tmp_path_factory.mktemp("portal-run")
    ports = {n: free_port() for n in ("salesforce", "stripe", "avalara", "erp", "integration")}
    h = LiveHarness(run_dir=run, ports=ports, integration={"payment_sync": "webhook"}).start()
    try:
        o2c = Lifecycle(h)
        o2c.install_integration()
        keys = {}
        for name, cust in (("A1", "ACME-IRVINE"), ("A2", "ACME-IRVINE"), ("A3", "ACME-IRVINE"), ("W1", "WINDY-CHICAGO")):
            keys[name] = o2c.place_order(cust, [("HW-ROUTER", 1)])
            o2c.activate(keys[name])
        mirrors = {n: o2c.wait_for_invoice(k, timeout=60) for n, k in keys.items()}
        yield h, o2c, keys, mirrors
    finally:
        h.stop()


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="o2c-chromium-")
    downloads = tempfile.mkdtemp(prefix="o2c-downloads-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1400",
                f"--user-data-dir={profile}", "--ignore-certificate-errors", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                           "download.prompt_for_download": False,
                                           "plugins.always_open_pdf_externally": True})
    driver = webdriver.Chrome(options=opts, service=Service(DRIVER))
    driver.downloads = Path(downloads)
    REPORTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)


def shot(driver, name):
    driver.save_screenshot(str(REPORTS / f"{name}.png"))


def wait(driver, seconds=20):
    return WebDriverWait(driver, seconds)


def login(driver, base):
    driver.get(base + "/billing/s/login")
    driver.find_element(By.ID, "username").send_keys(ACME)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "invoices")))


def open_invoice(driver, base, mirror):
    driver.get(f"{base}/billing/s/invoice/{mirror['Id']}")
    return wait(driver).until(EC.presence_of_element_located((By.ID, "status"))).text


def pay(driver, card, amount=None):
    if amount:
        driver.find_element(By.ID, "choice-part").click()
        driver.find_element(By.ID, "amount").send_keys(amount)
    driver.find_element(By.ID, "card").send_keys(card)
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "pay").click()
    wait(driver).until(replaced(page))   # the answer's page, not the form's, before anything is read


def replaced(node):
    """A wait condition: ``node``'s document is gone (the browser navigated away from it). Selenium's
    ``staleness_of`` knows only the stale-element error; chromedriver caught mid-navigation answers
    "Node with given id does not belong to the document" instead, which says the same."""
    def gone(_driver) -> bool:
        try:
            node.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
    return gone


def test_portal_in_the_browser(live, browser):
    h, o2c, keys, m = live
    base = h.url("salesforce")
    d = browser
    login(d, base)
    shot(d, "01-invoices")
    rows = d.find_elements(By.CSS_SELECTOR, "#invoices tbody tr[data-invoice]")
    shown = {r.get_attribute("data-invoice") for r in rows}
    assert shown == {m[n]["Id"] for n in ("A1", "A2", "A3")}   # only this customer's invoices
    assert {r.find_element(By.CSS_SELECTOR, "td.status").text for r in rows} == {"Posted"}

    # detail and PDF
    assert open_invoice(d, base, m["A1"]) == "Posted"
    assert "HW-ROUTER" in d.find_element(By.ID, "lines").text
    shot(d, "02-invoice-detail")
    d.find_element(By.ID, "pdf").click()
    number = m["A1"]["ERP_Document_Number__c"]
    pdf = h.wait_until(lambda: next((p for p in d.downloads.glob("*.pdf")), None), 20, what="the PDF download")
    from pypdf import PdfReader
    text = PdfReader(str(pdf)).pages[0].extract_text()
    assert f"Invoice number: {number}" in text and "Acme Irvine Inc." in text and "107.75 USD" in text
    assert "Payment instructions" in text and "Remit to" in text

    # pay part, then the rest
    open_invoice(d, base, m["A1"])
    pay(d, "4242424242424242", "50.00")
    wait(d).until(EC.presence_of_element_located((By.ID, "processing")))
    shot(d, "03-payment-processing")
    h.wait_until(lambda: o2c.mirror(keys["A1"])["blng__PaymentStatus__c"] == "Partially Paid", 30,
                 what="the part payment in the mirror")
    assert open_invoice(d, base, m["A1"]) == "Partially Paid"
    assert "57.75" in d.find_element(By.ID, "balance").text
    pay(d, "4242424242424242")
    wait(d).until(EC.presence_of_element_located((By.ID, "processing")))
    paid = o2c.wait_for_paid(keys["A1"], timeout=30)
    assert Decimal(str(paid["blng__Balance__c"])) == 0
    assert open_invoice(d, base, m["A1"]) == "Paid"
    erp = o2c.erp_invoice(keys["A1"])
    assert Decimal(str(erp["amountPaid"])) == Decimal("107.75") and Decimal(str(erp["amountRemaining"])) == 0
    d.get(base + "/billing/s/payments")
    history = d.find_element(By.ID, "payments").text
    assert "50.00 USD" in history and "57.75 USD" in history
    shot(d, "04-payment-history")

    # a declined card shows the reason; nothing is paid
    open_invoice(d, base, m["A2"])
    pay(d, "4000000000000002")
    assert "Your card was declined." in wait(d).until(EC.presence_of_element_located((By.ID, "pay-error"))).text
    shot(d, "05-declined")
    assert o2c.stripe_invoice(keys["A2"])["amount_remaining"] == 10775

    # keyboard only: Tab to the card field, type, Enter submits the form (the balance by default)
    open_invoice(d, base, m["A2"])
    d.find_element(By.TAG_NAME, "body").click()
    for _ in range(60):
        if d.switch_to.active_element.get_attribute("id") == "card":
            break
        d.switch_to.active_element.send_keys(Keys.TAB)
    assert d.switch_to.active_element.get_attribute("id") == "card"
    d.switch_to.active_element.send_keys("4242424242424242" + Keys.ENTER)
    wait(d).until(EC.presence_of_element_located((By.ID, "processing")))
    o2c.wait_for_paid(keys["A2"], timeout=30)

    # dispute: a Case linked to the invoice, the invoice shows Disputed (dunning skips it)
    open_invoice(d, base, m["A3"])
    from selenium.webdriver.support.ui import Select
    Select(d.find_element(By.ID, "case-type")).select_by_visible_text("Invoice Dispute")
    d.find_element(By.ID, "case-description").send_keys("We were billed for a router we returned.")
    d.find_element(By.ID, "submit-case").click()
    assert "case" in wait(d).until(EC.presence_of_element_located((By.ID, "case-created"))).text
    assert d.find_element(By.ID, "status").text == "Disputed"
    shot(d, "06-dispute")
    cases = o2c.sf.query(f"SELECT Id, Type, Origin, Invoice__c FROM Case WHERE Invoice__c = '{m['A3']['Id']}'")
    assert [(c["Type"], c["Origin"]) for c in cases] == [("Invoice Dispute", "Customer Portal")]
    assert o2c.mirror(keys["A3"])["Dispute_Status__c"] == "Open"

    # IDOR: another customer's invoice is a 404 page; CSRF: a form without its token is refused
    d.get(f"{base}/billing/s/invoice/{m['W1']['Id']}")
    assert d.find_element(By.TAG_NAME, "h1").text == "Page not found"
    open_invoice(d, base, m["A3"])
    d.execute_script("document.querySelector('form[action$=\"/pay\"] input[name=csrf_token]').remove()")
    pay(d, "4242424242424242")
    assert wait(d).until(EC.presence_of_element_located((By.TAG_NAME, "h1"))).text == "Request refused"
    assert o2c.stripe_invoice(keys["A3"])["amount_remaining"] == 10775
    other = o2c.stripe_invoice(keys["W1"])
    assert other["amount_paid"] == 0 and other["amount_remaining"] == other["amount_due"] > 0

    # logout: the old page's links go back to the login page
    d.get(base + "/billing/s/invoices")
    d.find_element(By.XPATH, "//button[text()='Log out']").click()
    wait(d).until(EC.presence_of_element_located((By.ID, "username")))
    d.get(base + "/billing/s/invoices")
    assert "/billing/s/login" in d.current_url
    shot(d, "07-logged-out")


def axe_findings(driver) -> list[str]:
    """axe-core (the axe-core-python wheel's copy, run in the page): the serious and critical findings."""
    from axe_core_python.selenium import Axe
    result = Axe().run(driver, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa",
                                                                              "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_or_critical_accessibility_findings(live, browser):
    h, o2c, keys, m = live
    base = h.url("salesforce")
    d = browser
    d.delete_all_cookies()
    d.get(base + "/billing/s/login")
    pages = {"login": axe_findings(d)}
    login(d, base)
    pages["invoices"] = axe_findings(d)
    open_invoice(d, base, m["A3"])
    pages["invoice detail"] = axe_findings(d)
    d.get(base + "/billing/s/payments")
    pages["payment history"] = axe_findings(d)
    d.get(f"{base}/billing/s/invoice/{m['W1']['Id']}")
    pages["not found"] = axe_findings(d)
    assert {p: f for p, f in pages.items() if f} == {}
    # the check can fail: an image without a text alternative on the same page is a critical finding
    d.execute_script("var i = document.createElement('img'); i.src = 'data:,'; document.body.appendChild(i);")
    assert any(f.startswith("image-alt (critical)") for f in axe_findings(d))
