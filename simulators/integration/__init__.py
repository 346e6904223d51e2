"""The reference integration: stands in for a customer's MuleSoft / Apex / Python service.

It talks to the fakes only through their public APIs with the libraries a real team would use
(simple-salesforce, the official stripe and avalara SDKs, requests + OAuth 1.0a for the ERP).
The harness never reaches into it: a user can replace it with their own by pointing that at the
fakes' URLs.
"""
