"""The portal's security model, with the werkzeug test client (no browser): portal users cannot use
the API; sharing by account (swapped ids answer 404 on detail, PDF, pay, dispute); CSRF tokens on
every form; cookie flags; session id rotation, idle and absolute timeouts on the simulated clock;
server-side logout; login throttling that does not tell usernames apart."""
import re
from datetime import timedelta

import pytest
import requests

from .conftest import PASSWORD, Browser, form_value, user

ACME, WINDY = user("ACME-IRVINE"), user("WINDY-CHICAGO")


def test_portal_user_cannot_log_in_to_the_api(world):
    h, o2c, _ = world
    soap = requests.post("https://login.salesforce.com/services/Soap/u/59.0", data=(
        "<Envelope><Body><login><username>%s</username><password>%s</password></login></Body></Envelope>"
        % (ACME, PASSWORD)), headers={"Content-Type": "text/xml", "SOAPAction": "login"})
    assert soap.status_code == 500 and "API_DISABLED_FOR_ORG" in soap.text
    oauth = requests.post("https://login.salesforce.com/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": ACME, "password": PASSWORD})
    assert oauth.status_code == 400 and oauth.json()["error"] == "invalid_grant"
    # the internal users still log in
    ok = requests.post("https://login.salesforce.com/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"})
    assert ok.status_code == 200


def test_seeded_portal_users_and_contacts(world):
    h, o2c, _ = world
    rows = o2c.sf.query("SELECT Id, Username, ContactId, AccountId, Profile.Name FROM User "
                        f"WHERE Username = '{ACME}'")
    assert len(rows) == 1 and rows[0]["Profile"]["Name"] == "Customer Community User"
    contact = o2c.sf.query(f"SELECT AccountId FROM Contact WHERE Id = '{rows[0]['ContactId']}'")[0]
    assert contact["AccountId"][:15] == o2c.account("ACME-IRVINE")["Id"][:15] == rows[0]["AccountId"][:15]


def test_list_shows_only_own_invoices_and_swapped_ids_are_404(world):
    h, o2c, keys = world
    mine, theirs = o2c.mirror(keys["ACME-IRVINE"]), o2c.mirror(keys["WINDY-CHICAGO"])
    b = Browser(h.apps["salesforce"])
    assert b.login(ACME).status_code == 303
    listing = b.c.get("/billing/s/invoices").text
    assert mine["Id"] in listing and theirs["Id"] not in listing
    assert b.invoice(mine["Id"]).status_code == 200
    assert b.invoice(theirs["Id"]).status_code == 404
    assert b.c.get(f"/billing/s/invoice/{theirs['Id']}/pdf").status_code == 404
    before = o2c.stripe_invoice(keys["WINDY-CHICAGO"])
    page = b.invoice(mine["Id"]).text
    token = form_value(page, "csrf_token")
    pay = b.c.post(f"/billing/s/invoice/{theirs['Id']}/pay", data={"csrf_token": token, "attempt": "x",
                                                                   "choice": "full", "card": "4242424242424242"})
    assert pay.status_code == 404
    case = b.c.post(f"/billing/s/invoice/{theirs['Id']}/case", data={"csrf_token": token, "type": "Invoice Dispute",
                                                                     "description": "not mine"})
    assert case.status_code == 404
    after = o2c.stripe_invoice(keys["WINDY-CHICAGO"])
    assert after["amount_remaining"] == before["amount_remaining"] and after["payments"] == before["payments"]
    assert o2c.mirror(keys["WINDY-CHICAGO"])["Dispute_Status__c"] is None
    assert b.c.get("/billing/s/invoice/a0B000000000000AAA").status_code == 404


def test_csrf_missing_or_wrong_is_403_and_nothing_reaches_stripe(world):
    h, o2c, keys = world
    mine = o2c.mirror(keys["ACME-IRVINE"])
    b = Browser(h.apps["salesforce"])
    b.login(ACME)
    before = o2c.stripe_invoice(keys["ACME-IRVINE"])
    pis = len(o2c.gw.call(lambda c: c.v1.payment_intents.list(params={"limit": 100})).data)
    assert b.pay(mine["Id"], csrf_token=None).status_code == 403
    assert b.pay(mine["Id"], csrf_token="forged").status_code == 403
    other = Browser(h.apps["salesforce"])
    other.login(WINDY)   # a valid token of another session is no good either
    assert b.pay(mine["Id"], csrf_token=form_value(other.c.get("/billing/s/invoices").text, "csrf_token")).status_code == 403
    assert len(o2c.gw.call(lambda c: c.v1.payment_intents.list(params={"limit": 100})).data) == pis
    assert o2c.stripe_invoice(keys["ACME-IRVINE"])["amount_remaining"] == before["amount_remaining"]
    # the login form too, and logout
    anon = Browser(h.apps["salesforce"])
    anon.c.get("/billing/s/login")
    assert anon.c.post("/billing/s/login", data={"username": ACME, "password": PASSWORD}).status_code == 403
    assert b.c.post("/billing/s/logout", data={}).status_code == 403


def test_cookie_flags_and_a_new_session_id_on_login(world):
    h, _, _ = world
    b = Browser(h.apps["salesforce"])
    first = b.c.get("/billing/s/login", base_url="https://o2c.my.salesforce.com")
    pre = first.headers["Set-Cookie"]
    assert "HttpOnly" in pre and "SameSite=Lax" in pre and "Secure" in pre
    resp = b.c.post("/billing/s/login", base_url="https://o2c.my.salesforce.com", data={
        "csrf_token": form_value(first.text, "csrf_token"), "username": ACME, "password": PASSWORD})
    post = resp.headers["Set-Cookie"]
    assert resp.status_code == 303 and "HttpOnly" in post and "SameSite=Lax" in post and "Secure" in post
    assert re.search(r"sid=([^;]+)", pre).group(1) != re.search(r"sid=([^;]+)", post).group(1)
    # the pre-login session id is dead
    stale = Browser(h.apps["salesforce"])
    stale.c.set_cookie("sid", re.search(r"sid=([^;]+)", pre).group(1), path="/billing/s")
    assert stale.c.get("/billing/s/invoices").status_code == 302


def test_idle_and_absolute_timeouts_on_the_simulated_clock(world):
    h, _, _ = world
    b = Browser(h.apps["salesforce"])
    b.login(ACME)
    h.advance(timedelta(minutes=14))
    assert b.c.get("/billing/s/invoices").status_code == 200
    h.advance(timedelta(minutes=16))
    assert b.c.get("/billing/s/invoices").status_code == 302   # idle: back to the login page
    b.login(ACME)
    for _ in range(40):   # active every 14 minutes, yet out after 8 hours
        h.advance(timedelta(minutes=14))
        if b.c.get("/billing/s/invoices").status_code != 200:
            break
    assert b.c.get("/billing/s/invoices").headers["Location"].startswith("/billing/s/login")


def test_logout_invalidates_the_session_on_the_server(world):
    h, _, _ = world
    b = Browser(h.apps["salesforce"])
    b.login(ACME)
    sid = b.c.get_cookie("sid", path="/billing/s").value
    page = b.c.get("/billing/s/invoices").text
    assert b.c.post("/billing/s/logout", data={"csrf_token": form_value(page, "csrf_token")}).status_code == 303
    replay = Browser(h.apps["salesforce"])
    replay.c.set_cookie("sid", sid, path="/billing/s")
    assert replay.c.get("/billing/s/invoices").status_code == 302


def test_login_failures_are_throttled_without_telling_users_apart(world):
    h, _, _ = world
    answers = []
    for name in (user("LONESTAR-AUSTIN"), "nobody@nowhere.o2c.test"):
        b = Browser(h.apps["salesforce"])
        got = [b.login(name, "wrong") for _ in range(5)]
        answers.append({(r.status_code, r.text.count("Your login attempt has failed")) for r in got})
        locked = b.login(name, PASSWORD)   # the right password no longer helps while locked
        answers.append({(locked.status_code, locked.text.count("Your login attempt has failed"))})
    assert answers[0] == answers[2] == {(401, 1)} and answers[1] == answers[3] == {(401, 1)}
    h.advance(timedelta(minutes=16))   # the window passes
    assert Browser(h.apps["salesforce"]).login(user("LONESTAR-AUSTIN")).status_code == 303


def test_pay_part_then_full_with_server_computed_amounts_and_idempotent_resubmit(world):
    h, o2c, keys = world
    mine = o2c.mirror(keys["ACME-IRVINE"])
    b = Browser(h.apps["salesforce"])
    b.login(ACME)
    assert b.pay(mine["Id"], amount="200.00").status_code == 402   # more than the balance: refused
    assert b.pay(mine["Id"], amount="0.10").status_code == 402
    page = b.invoice(mine["Id"]).text
    data = {"csrf_token": form_value(page, "csrf_token"), "attempt": form_value(page, "attempt"),
            "choice": "part", "amount": "40.00", "card": "4242424242424242"}
    assert b.c.post(f"/billing/s/invoice/{mine['Id']}/pay", data=data).status_code == 303
    assert b.c.post(f"/billing/s/invoice/{mine['Id']}/pay", data=data).status_code == 409   # the same form again
    assert o2c.stripe_invoice(keys["ACME-IRVINE"])["amount_remaining"] == 10775 - 4000
    assert "Payment processing" in b.invoice(mine["Id"]).text
    h.settle()
    assert o2c.mirror(keys["ACME-IRVINE"])["blng__PaymentStatus__c"] == "Partially Paid"
    assert "Payment processing" not in b.invoice(mine["Id"]).text
    declined = b.pay(mine["Id"], card="4000000000000002")
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert o2c.stripe_invoice(keys["ACME-IRVINE"])["amount_remaining"] == 6775
    assert b.pay(mine["Id"], amount="67.75", choice="full").status_code == 303   # "full": the server's amount
    h.settle()
    m = o2c.wait_for_paid(keys["ACME-IRVINE"])
    assert float(m["blng__Balance__c"]) == 0
    assert re.search(r'id="status">Paid<', b.invoice(mine["Id"]).text)
    history = b.c.get("/billing/s/payments").text
    assert history.count("40.00 USD") == 1 and history.count("67.75 USD") == 1


def test_dispute_creates_a_case_and_dunning_skips_the_invoice(world):
    h, o2c, keys = world
    other = o2c.place_order("WINDY-CHICAGO", [("HW-ROUTER", 1)])   # not disputed: dunning chases it
    o2c.activate(other)
    o2c.wait_for_invoice(other)
    disputed = o2c.mirror(keys["WINDY-CHICAGO"])
    b = Browser(h.apps["salesforce"])
    b.login(WINDY)
    page = b.invoice(disputed["Id"]).text
    assert b.c.post(f"/billing/s/invoice/{disputed['Id']}/case", data={
        "csrf_token": form_value(page, "csrf_token"), "type": "Invoice Dispute", "description": ""}).status_code == 400
    resp = b.c.post(f"/billing/s/invoice/{disputed['Id']}/case", data={
        "csrf_token": form_value(page, "csrf_token"), "type": "Invoice Dispute", "description": "Returned it."})
    assert resp.status_code == 303
    cases = o2c.sf.query(f"SELECT CaseNumber, Type, Origin, AccountId FROM Case WHERE Invoice__c = '{disputed['Id']}'")
    assert len(cases) == 1 and cases[0]["Origin"] == "Customer Portal"
    assert cases[0]["AccountId"][:15] == o2c.account("WINDY-CHICAGO")["Id"][:15]
    assert cases[0]["CaseNumber"] in b.c.get(resp.headers["Location"]).text
    assert re.search(r'id="status">Disputed<', b.invoice(disputed["Id"]).text)
    h.advance(timedelta(days=40))
    assert o2c.dunning_emails(other) and not o2c.dunning_emails(keys["WINDY-CHICAGO"])
