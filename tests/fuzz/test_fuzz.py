"""A bounded seeded fuzz run per fake (300 adversarial requests each, in-process): no 5xx the vendor
would not give (the SOAP login fault is Salesforce's own HTTP 500) and every error in the vendor's shape."""
from __future__ import annotations

import pytest

from .generator import run
from .targets import TARGETS


@pytest.mark.parametrize("fake", sorted(TARGETS))
def test_seeded_adversarial_requests_get_vendor_shaped_answers(fake):
    report = run(fake, 300, seed=13)
    assert report.requests == 300
    assert len(report.statuses) > 3, report.statuses          # the mutations reach many answers
    assert sum(n for s, n in report.statuses.items() if s >= 400) > 100
    assert report.server_errors == [], "\n".join(map(str, report.server_errors[:10]))
    assert report.unshaped == [], "\n".join(map(str, report.unshaped[:10]))


def test_the_generator_is_seeded():
    from .generator import build, requests_for
    app, _, target = build("erp")
    first = [(r.method, r.path, r.query, r.body) for r in requests_for(target, app, 50, 7)]
    again = [(r.method, r.path, r.query, r.body) for r in requests_for(target, app, 50, 7)]
    other = [(r.method, r.path, r.query, r.body) for r in requests_for(target, app, 50, 8)]
    assert first == again and first != other


def test_the_shape_checks_catch_an_html_page():
    html = b"<!doctype html><title>500 Internal Server Error</title>"
    for name, make in TARGETS.items():
        target = make()
        req = target.templates(None)[0]
        assert not target.shaped(req, 404, "text/html; charset=utf-8", html), name
