"""Connect the vendors' official Python clients to the live fakes (`o2c up`), with nothing imported
from o2c-harness. Run: python docs/examples/connect_live.py (after `o2c up --detach`).

URLs are the default ports; the CA that signs the Salesforce fake's HTTPS certificate is in the run
directory (.o2c/tls/ca.pem). Each client gets it for its own session: never set REQUESTS_CA_BUNDLE
process-wide, which would break every other HTTPS call in your process.
"""
import os

import requests
import stripe
from avalara import AvataxClient
from requests_oauthlib import OAuth1
from simple_salesforce import Salesforce

SALESFORCE = os.environ.get("O2C_SALESFORCE_URL", "https://127.0.0.1:8701")
STRIPE = os.environ.get("O2C_STRIPE_URL", "http://127.0.0.1:8702")
AVATAX = os.environ.get("O2C_AVALARA_URL", "http://127.0.0.1:8703")
ERP = os.environ.get("O2C_ERP_URL", "http://127.0.0.1:8704")
CA = os.environ.get("O2C_CA", ".o2c/tls/ca.pem")

# Salesforce: the OAuth 2.0 username-password flow against the fake, then simple-salesforce with the
# instance URL and session id it returns (its username/password login only knows *.salesforce.com).
http = requests.Session()
http.verify = CA                      # this session trusts the fake's CA; nothing else changes
http.trust_env = False                # so a REQUESTS_CA_BUNDLE in the environment cannot override it
token = http.post(f"{SALESFORCE}/services/oauth2/token", data={
    "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
    "username": "integration@o2c.test", "password": "o2c-password" + "O2CTOKEN"}, timeout=30).json()
sf = Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=http)
print("Salesforce accounts:", sf.query("SELECT COUNT() FROM Account")["totalSize"])

# Stripe: any secret key that starts with sk_test_, and the fake's address for the API.
client = stripe.StripeClient("sk_test_o2c", base_addresses={"api": STRIPE})
print("Stripe customer:", client.v1.customers.create(params={"email": "ap@example.test"}).id)

# AvaTax: the SDK takes a base URL in place of "sandbox"/"production"; any numeric account id and a
# non-empty license key.
avatax = AvataxClient("my-integration", "1.0", "ci", AVATAX).add_credentials("123456", "o2c-license-key")
print("AvaTax ping authenticated:", avatax.ping().json()["authenticated"])

# ERP (NetSuite REST shape): token-based authentication (OAuth 1.0a, HMAC-SHA256, realm = account id).
tba = OAuth1("o2c-consumer-key", client_secret="o2c-consumer-secret", resource_owner_key="o2c-token-id",
             resource_owner_secret="o2c-token-secret", signature_method="HMAC-SHA256", realm="O2C_SB1")
items = requests.get(f"{ERP}/services/rest/record/v1/customer", auth=tba, timeout=30).json()
print("ERP customers:", items["totalResults"])
