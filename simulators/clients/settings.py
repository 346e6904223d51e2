"""Where the four systems are and the credentials to reach them: what every client of the systems
needs (the reference integration, the reconciliation, the business scenarios, the load suite).
The defaults are the harness's default credentials (README)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Connections:
    company_code: str = "DEFAULT"          # AvaTax company
    currency: str = "usd"
    # Endpoints (in-process defaults: the vendors' real hostnames, routed to the fakes)
    salesforce_url: str = "https://o2c.my.salesforce.com"
    salesforce_login: str = "https://login.salesforce.com"
    stripe_url: str = "https://api.stripe.com"
    avalara_url: str = "https://sandbox-rest.avatax.com"
    erp_url: str = "https://o2c-sb1.suitetalk.api.netsuite.com"
    ca_bundle: str | None = None           # the harness CA for the HTTPS fakes (live)
    # Credentials
    sf_username: str = "integration@o2c.test"
    sf_password: str = "o2c-password"
    sf_token: str = "O2CTOKEN"
    sf_client_id: str = "o2c-client-id"
    sf_client_secret: str = "o2c-client-secret"
    stripe_key: str = "sk_test_o2c_integration"
    avalara_account: str = "123456"
    avalara_license: str = "o2c-license-key"
    erp_account: str = "O2C_SB1"
    erp_consumer_key: str = "o2c-consumer-key"
    erp_consumer_secret: str = "o2c-consumer-secret"
    erp_token_id: str = "o2c-token-id"
    erp_token_secret: str = "o2c-token-secret"
    http_timeout: float = 30.0
    # Requests in flight to each system at once, from all of a client's threads (0: no bound). The
    # vendors' own concurrency limits: NetSuite's account concurrency governance (5 on a default
    # account; more with SuiteCloud Plus), AvaTax's (an assumption: it publishes none), Salesforce's
    # concurrent long-running request limit (25). Stripe limits rates, not concurrency. A client with
    # more workers than its vendor allows queues its requests here instead of drawing 429s.
    erp_concurrency: int = 5
    avalara_concurrency: int = 10
    salesforce_concurrency: int = 25
    stripe_concurrency: int = 0
