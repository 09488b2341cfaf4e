#!/usr/bin/python3
"""
tests/browser/verify_page.py BASE VERIFY_URL OUT_DIR STATE=ID...: the
verification page in a real browser (Debian's chromium through chromedriver
and python3-selenium), TAP output.  Called by tests/t/browser_page.sh, which
starts the bridge and makes a credential in each state.

For each state (valid, revoked, suspended, expired, superseded, erased) the
page shows the right verdict and every element; printed on A4 and on Letter
it is one page whose QR code (pdftoppm + zbarimg) decodes to the
verification URL; Tab reaches every link; the German interface is German;
the console stays free of errors; the CSP blocks an inline script.
"""
import base64
import os
import subprocess
import sys

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.print_page_options import PrintOptions

BASE, VERIFY_URL, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
IDS = dict(a.split("=", 1) for a in sys.argv[4:])
n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}" + (f" ({detail})" if detail else ""))


def driver(lang):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1200,900", "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--disable-sync", "--disable-component-update"):
        o.add_argument(a)
    o.add_argument(f"--lang={lang}")
    o.add_experimental_option("prefs", {"intl.accept_languages": lang})
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    svc = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
        if hasattr(webdriver, "ChromeService") else webdriver.chrome.service.Service("/usr/bin/chromedriver")
    d = webdriver.Chrome(service=svc, options=o)
    d.set_page_load_timeout(30)
    return d


def severe(d):
    return [e["message"] for e in d.get_log("browser") if e.get("level") == "SEVERE"]


VERDICT_WORD = {"valid": "Valid", "revoked": "Revoked", "suspended": "Suspended", "expired": "Expired",
                "superseded": "Superseded", "erased": "Erased"}
ELEMENTS = ["Learning outcomes", "Applies the GDPR principles to patient records",
            "Notional workload (ECTS, hours)", "2 ECTS credits, 50 hours", "Level (EQF, QF-EHEA)",
            "EQF 6, QF-EHEA first cycle", "Type of assessment", "Form of participation", "Quality assurance",
            "Supervision and identity verification", "Integration and stackability", "Languages",
            "Grading scheme", "Awarding body", "Demo University of Applied Sciences", "Ireland", "Leinster",
            "Date of issuance", "Place of issuance", "Valid until", "Proof", "How to verify this yourself"]

d = driver("en")
try:
    for state, cid in IDS.items():
        d.get(f"{BASE}/credentials/{cid}")
        text = d.find_element(By.TAG_NAME, "body").text
        v = d.find_elements(By.CSS_SELECTOR, "section.verdict")
        got = v[0].get_attribute("data-verdict") if v else None
        ok(got == state and VERDICT_WORD[state] in v[0].text, f"the {state} credential's page shows the verdict {state}",
           f"got {got}")
        if state == "erased":
            ok(not any(e in text for e in ELEMENTS[:4]), "the erased credential's page shows none of it")
            continue
        missing = [e for e in ELEMENTS if e not in text]
        ok(not missing, f"the {state} page shows every element", f"missing {missing}")
        if state == "superseded":
            link = d.find_elements(By.CSS_SELECTOR, "a[rel=successor-version]")
            ok(len(link) == 1 and "/credentials/" in link[0].get_attribute("href"),
               "the superseded page links the credential that replaces it")
        errs = severe(d)
        ok(not errs, f"no console errors on the {state} page", "; ".join(errs)[:300])

    # landmarks, headings, language
    d.get(f"{BASE}/credentials/{IDS['valid']}")
    ok(d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "the page declares its language")
    ok(len(d.find_elements(By.TAG_NAME, "main")) == 1 and len(d.find_elements(By.TAG_NAME, "header")) == 1
       and len(d.find_elements(By.TAG_NAME, "footer")) == 1, "landmarks: one header, main and footer")
    ok(len(d.find_elements(By.TAG_NAME, "h1")) == 1 and len(d.find_elements(By.TAG_NAME, "h2")) >= 5,
       "one h1 and a heading per section")

    # keyboard: Tab from the start reaches every link
    links = [a for a in d.find_elements(By.CSS_SELECTOR, "a[href]")]
    want = {a.get_attribute("href") for a in links}
    reached = set()
    body = d.find_element(By.TAG_NAME, "body")
    body.click()
    d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    for _ in range(len(links) + 10):
        d.switch_to.active_element.send_keys(Keys.TAB)
        el = d.switch_to.active_element
        if el.tag_name == "a":
            reached.add(el.get_attribute("href"))
    ok(want and want <= reached, f"Tab reaches every one of the {len(want)} links",
       f"not reached: {sorted(want - reached)[:3]}")

    # printed: one page on A4 and on Letter, its QR code the verification URL
    for paper, (w, h) in {"A4": (21.0, 29.7), "Letter": (21.59, 27.94)}.items():
        po = PrintOptions()
        po.page_width, po.page_height = w, h
        pdf = os.path.join(OUT, f"page-{paper}.pdf")
        with open(pdf, "wb") as f:
            f.write(base64.b64decode(d.print_page(po)))
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
        pages = [l.split()[-1] for l in info.splitlines() if l.startswith("Pages:")]
        ok(pages == ["1"], f"printed on {paper} it is one page", f"pages {pages}")
        png = os.path.join(OUT, f"page-{paper}")
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", pdf, png], check=False)
        qr = subprocess.run(["zbarimg", "-q", "--raw", png + ".png"], capture_output=True, text=True).stdout.strip()
        ok(qr == VERIFY_URL, f"the QR code printed on {paper} decodes to the verification URL", f"got {qr!r}")

    # the CSP blocks an inline script
    d.get(f"{BASE}/credentials/{IDS['valid']}")
    d.get_log("browser")
    d.execute_script("var s = document.createElement('script'); s.textContent = 'window.__pwned = 1;';"
                     "document.body.appendChild(s);")
    pwned = d.execute_script("return window.__pwned === 1;")
    log = " ".join(e["message"] for e in d.get_log("browser"))
    ok(not pwned and "Content Security Policy" in log, "the CSP blocks an inline script (and says so in the console)",
       f"pwned={pwned} log={log[:200]}")
finally:
    d.quit()

# the German interface
d = driver("de")
try:
    d.get(f"{BASE}/credentials/{IDS['valid']}")
    text = d.find_element(By.TAG_NAME, "body").text
    de = ["Prüfergebnis", "Gültig", "Ausstellende Einrichtung", "Lernergebnisse", "Ausstellungsort", "So prüfen Sie selbst"]
    ok(d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de" and all(w in text for w in de)
       and "Awarding body" not in text, "with German as the browser's language, the interface is German",
       f"missing {[w for w in de if w not in text]}")
    ok("Applies the GDPR principles to patient records" in text, "... and the credential's texts stay as issued")
    errs = severe(d)
    ok(not errs, "no console errors on the German page", "; ".join(errs)[:300])
    d.get(f"{BASE}/verify")
    ok("Einen Nachweis prüfen" in d.find_element(By.TAG_NAME, "h1").text, "the verification form is German too")
finally:
    d.quit()

print(f"1..{n}")
sys.exit(1 if failed else 0)
