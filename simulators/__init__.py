"""o2c-harness: faithful fakes of Salesforce, an ERP, Avalara AvaTax and Stripe, and a harness."""
__version__ = "0.1.0"
