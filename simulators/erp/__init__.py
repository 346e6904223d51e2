"""Fake ERP in the NetSuite REST (SuiteTalk REST web services) shape: the billing system of record."""
