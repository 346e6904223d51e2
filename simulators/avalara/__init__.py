"""Fake Avalara AvaTax REST v2."""
