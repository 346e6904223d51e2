"""The invoice document (PDF), made with reportlab: the customer portal's "Download PDF" and the
Stripe hosted invoice page's ``invoice_pdf`` serve this same document.

Deterministic: reportlab's ``invariant`` mode pins the creation date and document id, so the same
invoice gives the same bytes. The input is a plain mapping (``InvoiceDocument``), so each fake fills
it from its own records:

    number, invoice_date, due_date, terms, currency, bill_to (lines), lines
    [(description, quantity, unit price, amount)], tax [(label, amount)], subtotal, tax_total,
    total, paid, balance, status, remit_to (lines), payment_instructions (lines)
"""
from __future__ import annotations

import io
from html import escape
from decimal import Decimal
from typing import Any, Mapping

SELLER = ("O2C Harness Inc.", "500 Market Street, Suite 1200", "San Francisco, CA 94105", "United States",
          "billing@o2c.test")
PAYMENT_INSTRUCTIONS = ("Pay online on the billing portal, or by ACH / wire to:",
                        "O2C Harness Inc., Example Bank N.A., routing 110000000, account 000123456789",
                        "Quote the invoice number with every payment.")


def _fmt(amount: Any, currency: str) -> str:
    return f"{Decimal(str(amount or 0)).quantize(Decimal('0.01')):,} {currency.upper()}"


def render(doc: Mapping[str, Any]) -> bytes:
    # reportlab is imported on the first PDF, not when a fake starts (a tenth of a second per process)
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    cur = doc.get("currency") or "USD"
    styles = getSampleStyleSheet()
    small = styles["Normal"]
    buf = io.BytesIO()
    pdf = SimpleDocTemplate(buf, pagesize=LETTER, invariant=1, title=f"Invoice {doc['number']}",
                            author=SELLER[0], subject="Invoice", creator="o2c-harness",
                            leftMargin=0.75 * inch, rightMargin=0.75 * inch, topMargin=0.7 * inch)
    story: list[Any] = []
    logo = Table([[Paragraph(f"<b>{SELLER[0]}</b><br/>" + "<br/>".join(SELLER[1:]), small),
                   Paragraph(f"<font size=18><b>INVOICE</b></font><br/>Invoice number: <b>{escape(str(doc['number']))}</b><br/>"
                             f"Invoice date: {doc.get('invoice_date') or ''}<br/>Due date: {doc.get('due_date') or ''}"
                             f"<br/>Terms: {doc.get('terms') or ''}<br/>Status: {doc.get('status') or ''}", small)]],
                 colWidths=[3.5 * inch, 3.5 * inch])
    logo.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LINEBELOW", (0, 0), (-1, 0), 1, colors.HexColor("#1b5e9b"))]))
    story += [logo, Spacer(1, 12)]
    story.append(Paragraph("<b>Bill to</b><br/>" + "<br/>".join(escape(str(x)) for x in doc.get("bill_to") or () if x), small))
    story.append(Spacer(1, 12))
    rows = [["Description", "Quantity", "Unit price", "Amount"]]
    rows += [[Paragraph(escape(str(d)), small), f"{Decimal(str(q)).normalize():f}", _fmt(u, cur), _fmt(a, cur)]
             for d, q, u, a in doc.get("lines") or ()]
    lines = Table(rows, colWidths=[3.4 * inch, 0.9 * inch, 1.3 * inch, 1.4 * inch], repeatRows=1)
    lines.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                               ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                               ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey)]))
    story += [lines, Spacer(1, 10)]
    totals = [["Subtotal", _fmt(doc.get("subtotal"), cur)]]
    totals += [[f"Tax: {label}", _fmt(amount, cur)] for label, amount in doc.get("tax") or ()]
    totals += [["Total tax", _fmt(doc.get("tax_total"), cur)], ["Total", _fmt(doc.get("total"), cur)],
               ["Paid", _fmt(doc.get("paid"), cur)], ["Balance due", _fmt(doc.get("balance"), cur)]]
    tt = Table(totals, colWidths=[2.2 * inch, 1.4 * inch], hAlign="RIGHT")
    tt.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT"), ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                            ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey)]))
    story += [tt, Spacer(1, 16)]
    story.append(Paragraph("<b>Payment instructions</b><br/>" + "<br/>".join(
        escape(x) for x in doc.get("payment_instructions") or PAYMENT_INSTRUCTIONS), small))
    story.append(Spacer(1, 8))
    story.append(Paragraph("<b>Remit to</b><br/>" + "<br/>".join(escape(x) for x in doc.get("remit_to") or SELLER), small))
    pdf.build(story)
    return buf.getvalue()
