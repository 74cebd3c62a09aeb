"""The state of the local Stripe server (tests only): Stripe objects as plain dicts, shaped like
the API version of the installed SDK (subscription periods on the items, invoice lines with
``pricing.price_details`` and ``parent``), and the Stripe-side actions a test drives (a customer
finishing checkout, Stripe cutting an invoice, a publisher finishing onboarding).

Used by :mod:`tests.support.stripe_server`; not an HTTP layer itself.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

MONTH_S = 30 * 24 * 3600


class StripeInputError(Exception):
    """A request Stripe would refuse (HTTP 400 ``invalid_request_error``)."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.param, self.status = param, status


def new_id(prefix: str) -> str:
    """A Stripe-looking id, e.g. ``cus_test_3f9a...``."""
    return f"{prefix}_test_{secrets.token_hex(8)}"


def _int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeInputError(f"Invalid integer: {value}", param) from None


def _list(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


class StripeStore:
    """Stripe's objects by id, plus meter events and emitted events."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.meter_events: dict[str, dict[str, Any]] = {}  # identifier -> event (Stripe dedupes)
        self.events: list[dict[str, Any]] = []
        self.now = lambda: int(time.time())
        self.invoice_prefix = secrets.token_hex(4).upper()  # Stripe's account-wide number prefix

    # ------------------------------------------------------------------ generic
    def get(self, object_id: str, kind: str) -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise StripeInputError(f"No such {kind}: '{object_id}'", "id", status=404)
        return obj

    def _add(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("livemode", False)
        obj.setdefault("created", self.now())
        self.objects[obj["id"]] = obj
        return obj

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Every stored object of one ``object`` type, oldest first."""
        return [o for o in self.objects.values() if o["object"] == kind]

    # ---------------------------------------------------------------- catalog
    def create_customer(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._add(
            {"id": new_id("cus"), "object": "customer", "email": p.get("email"), "metadata": p.get("metadata", {})}
        )

    def create_product(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("name"):
            raise StripeInputError("Missing required param: name.", "name")
        return self._add(
            {
                "id": new_id("prod"),
                "object": "product",
                "name": p["name"],
                "active": True,
                "metadata": p.get("metadata", {}),
            }
        )

    def update_product(self, product_id: str, p: dict[str, Any]) -> dict[str, Any]:
        product = self.get(product_id, "product")
        for key in ("name", "description"):
            if key in p:
                product[key] = p[key]
        product["metadata"].update(p.get("metadata", {}))
        return product

    def create_meter(self, p: dict[str, Any]) -> dict[str, Any]:
        event_name = p.get("event_name") or ""
        if not event_name or not p.get("display_name"):
            raise StripeInputError("Missing required param: event_name or display_name.", "event_name")
        if any(m["event_name"] == event_name and m["status"] == "active" for m in self.of_kind("billing.meter")):
            raise StripeInputError(f"An active meter with event_name '{event_name}' already exists.", "event_name")
        return self._add(
            {
                "id": new_id("mtr"),
                "object": "billing.meter",
                "display_name": p["display_name"],
                "event_name": event_name,
                "status": "active",
                "default_aggregation": p.get("default_aggregation", {"formula": "sum"}),
                "customer_mapping": p.get(
                    "customer_mapping", {"event_payload_key": "stripe_customer_id", "type": "by_id"}
                ),
                "value_settings": p.get("value_settings", {"event_payload_key": "value"}),
            }
        )

    def create_price(self, p: dict[str, Any]) -> dict[str, Any]:
        self.get(p.get("product", ""), "product")
        recurring = dict(p.get("recurring") or {})
        recurring.setdefault("usage_type", "licensed")
        if recurring.get("usage_type") == "metered":
            self.get(recurring.get("meter", ""), "billing.meter")
        return self._add(
            {
                "id": new_id("price"),
                "object": "price",
                "product": p["product"],
                "currency": p.get("currency", "usd"),
                "unit_amount": _int(p.get("unit_amount"), "unit_amount"),
                "recurring": recurring or None,
                "active": True,
                "metadata": p.get("metadata", {}),
                "nickname": p.get("nickname"),
            }
        )

    def update_price(self, price_id: str, p: dict[str, Any]) -> dict[str, Any]:
        price = self.get(price_id, "price")
        if "active" in p:
            price["active"] = str(p["active"]).lower() == "true"
        price["metadata"].update(p.get("metadata", {}))
        return price

    # --------------------------------------------------------------- checkout
    def create_checkout_session(self, p: dict[str, Any], base_url: str) -> dict[str, Any]:
        if p.get("mode") != "subscription":
            raise StripeInputError("This double serves mode=subscription only.", "mode")
        for key in ("success_url", "cancel_url", "customer"):
            if not p.get(key):
                raise StripeInputError(f"Missing required param: {key}.", key)
        self.get(p["customer"], "customer")
        items = p.get("line_items") or []
        if not items:
            raise StripeInputError("Missing required param: line_items.", "line_items")
        for i, item in enumerate(items):
            price = self.get(item.get("price", ""), "price")
            if not price["active"]:
                raise StripeInputError("The price is not active.", f"line_items[{i}][price]")
            metered = price["recurring"] and price["recurring"].get("usage_type") == "metered"
            if metered and "quantity" in item:
                raise StripeInputError("Quantity must not be set for metered prices.", f"line_items[{i}][quantity]")
        session_id = new_id("cs")
        return self._add(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": "subscription",
                "status": "open",
                "url": f"{base_url}/checkout/{session_id}",
                "customer": p["customer"],
                "client_reference_id": p.get("client_reference_id"),
                "metadata": p.get("metadata", {}),
                "line_items_params": items,
                "subscription_data": p.get("subscription_data", {}),
                "success_url": p["success_url"],
                "cancel_url": p["cancel_url"],
                "subscription": None,
            }
        )

    def complete_checkout(self, session_id: str) -> dict[str, Any]:
        """The customer paid: a subscription of the session's prices starts now."""
        cs = self.get(session_id, "checkout.session")
        now = self.now()
        sub_id = new_id("sub")
        data = cs["subscription_data"]
        items = []
        for item in cs["line_items_params"]:
            price = self.objects[item["price"]]
            items.append(
                {
                    "id": new_id("si"),
                    "object": "subscription_item",
                    "price": price,
                    "quantity": _int(item["quantity"], "quantity") if "quantity" in item else None,
                    "subscription": sub_id,
                    "current_period_start": now,
                    "current_period_end": now + MONTH_S,
                }
            )
        sub = self._add(
            {
                "id": sub_id,
                "object": "subscription",
                "customer": cs["customer"],
                "status": "active",
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
                "metadata": data.get("metadata", {}),
                "application_fee_percent": data.get("application_fee_percent"),
                "transfer_data": data.get("transfer_data"),
                "items": _list(items, f"/v1/subscription_items?subscription={sub_id}"),
            }
        )
        cs.update(status="complete", subscription=sub_id)
        return sub

    def set_subscription(self, sub_id: str, **changes: Any) -> dict[str, Any]:
        """Change a subscription as Stripe would (status, cancel_at_period_end, a new period)."""
        sub = self.get(sub_id, "subscription")
        period = changes.pop("period", None)
        if period is not None:
            for item in sub["items"]["data"]:
                item["current_period_start"], item["current_period_end"] = period
        if changes.get("status") == "canceled":
            sub["canceled_at"] = sub["ended_at"] = self.now()
        sub.update(changes)
        return sub

    # ---------------------------------------------------------------- invoices
    def meter_total(self, meter: dict[str, Any], customer: str, start: int, end: int) -> int:
        """Sum of ``value`` of the meter's events for ``customer`` with start <= timestamp < end."""
        key = meter["customer_mapping"]["event_payload_key"]
        value_key = meter["value_settings"]["event_payload_key"]
        return sum(
            int(e["payload"].get(value_key, "0"))
            for e in self.meter_events.values()
            if e["event_name"] == meter["event_name"] and e["payload"].get(key) == customer and start <= e["ts"] < end
        )

    def create_invoice(self, sub_id: str, *, paid: bool = True) -> dict[str, Any]:
        """Stripe bills the current period: flat prices (quantity) plus metered usage (meter sum)."""
        sub = self.get(sub_id, "subscription")
        invoice_id, lines = new_id("in"), []
        for item in sub["items"]["data"]:
            price, start, end = item["price"], item["current_period_start"], item["current_period_end"]
            if price["recurring"]["usage_type"] == "metered":
                meter = self.objects[price["recurring"]["meter"]]
                quantity = self.meter_total(meter, sub["customer"], start, end)
            else:
                quantity = item["quantity"] or 1
            lines.append(
                {
                    "id": new_id("il"),
                    "object": "line_item",
                    "invoice": invoice_id,
                    "amount": quantity * price["unit_amount"],
                    "currency": price["currency"],
                    "description": f"{quantity} × {price.get('nickname') or price['id']}",
                    "quantity": quantity,
                    "period": {"start": start, "end": end},
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": price["id"], "product": price["product"]},
                        "unit_amount_decimal": str(price["unit_amount"]),
                    },
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {"subscription": sub_id, "subscription_item": item["id"]},
                    },
                    "subscription": sub_id,
                }
            )
        total = sum(line["amount"] for line in lines)
        first = sub["items"]["data"][0]
        invoice = self._add(
            {
                "id": invoice_id,
                "object": "invoice",
                "customer": sub["customer"],
                "number": f"{self.invoice_prefix}-{len(self.of_kind('invoice')) + 1:04d}",
                "currency": lines[0]["currency"] if lines else "usd",
                "status": "paid" if paid else "open",
                "subtotal": total,
                "total": total,
                "amount_paid": total if paid else 0,
                "period_start": first["current_period_start"],
                "period_end": first["current_period_end"],
                "status_transitions": {"paid_at": self.now() if paid else None},
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
                "lines": _list(lines, f"/v1/invoices/{invoice_id}/lines"),
            }
        )
        sub["status"] = "active" if paid else "past_due"
        return invoice

    def pay_invoice(self, invoice_id: str) -> dict[str, Any]:
        invoice = self.get(invoice_id, "invoice")
        invoice.update(status="paid", amount_paid=invoice["total"], status_transitions={"paid_at": self.now()})
        sub_id = invoice["parent"]["subscription_details"]["subscription"]
        self.set_subscription(sub_id, status="active")
        return invoice

    # ---------------------------------------------------------------- connect
    def create_account(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._add(
            {
                "id": new_id("acct"),
                "object": "account",
                "type": p.get("type", "express"),
                "country": p.get("country"),
                "email": p.get("email"),
                "metadata": p.get("metadata", {}),
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "requirements": {"currently_due": ["external_account"], "disabled_reason": "requirements.past_due"},
            }
        )

    def set_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        account = self.get(account_id, "account")
        account.update(changes)
        if account["charges_enabled"] and account["payouts_enabled"]:
            account["requirements"] = {"currently_due": [], "disabled_reason": None}
        return account

    # ----------------------------------------------------------------- events
    def event(self, event_type: str, obj: dict[str, Any], *, account: str | None = None) -> dict[str, Any]:
        """A Stripe event carrying a snapshot of ``obj`` (a deep copy as of now)."""
        import copy

        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": None,
            "created": self.now(),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": copy.deepcopy(obj)},
        }
        if account:
            event["account"] = account
        self.events.append(event)
        return event
