"""Reply texts built from an order, a refund or a conversation state; plain functions, no Rasa."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from shop.knowledge import Knowledge, to_traditional
from shop.orders import Order


def _day(value: Optional[date], language: str) -> str:
    if value is None:
        return "—"
    if language == "en":
        return value.strftime("%b %d, %Y").replace(" 0", " ")
    return f"{value.year}年{value.month}月{value.day}日"


def _moment(value: Optional[datetime], language: str) -> str:
    if value is None:
        return "—"
    return f"{_day(value.date(), language)} {value:%H:%M}"


def _money(amount: Optional[float], currency: str, language: str) -> str:
    if amount is None:
        return "—"
    if currency == "CNY":
        return f"¥{amount:,.2f}" if language == "en" else f"{amount:,.2f} 元"
    return f"{currency} {amount:,.2f}"


def order_status(order: Order, language: str, kb: Knowledge) -> str:
    if order.status in ("shipped", "in_transit", "out_for_delivery"):
        detail = kb.text("order_shipped_detail", language, carrier=order.carrier or "—",
                         tracking=order.tracking_number or "—", eta=_day(order.eta, language))
    elif order.status == "delivered":
        detail = kb.text("order_delivered_detail", language, delivered=_moment(order.delivered_at, language))
    elif order.status == "processing":
        detail = kb.text("order_processing_detail", language, eta=_day(order.eta, language))
    elif order.status == "pending_payment":
        detail = kb.text("order_pending_detail", language)
    elif order.status == "cancelled":
        detail = kb.text("order_cancelled_detail", language)
    else:
        detail = ""
    items = order.items_en if language == "en" else kb_items(order.items_zh, language)
    return kb.text("order_status", language, order_id=order.order_id, items=items,
                   status=kb.label("order_status", order.status, language), detail=detail).strip()


def refund_status(order: Order, language: str, kb: Knowledge) -> str:
    if order.refund_status == "none":
        return kb.text("refund_none", language, order_id=order.order_id)
    if order.refund_status == "refunded":
        detail = kb.text("refund_done_detail", language, completed=_moment(order.refund_completed_at, language))
    elif order.refund_status == "rejected":
        detail = kb.text("refund_rejected_detail", language)
    else:
        detail = kb.text("refund_pending_detail", language, eta=_day(order.refund_eta, language))
    return kb.text("refund_status", language, order_id=order.order_id,
                   amount=_money(order.refund_amount, order.currency, language),
                   status=kb.label("refund_status", order.refund_status, language), detail=detail).strip()


def kb_items(items_zh: str, language: str) -> str:
    """Item names are stored in Simplified; Traditional readers get them converted."""
    return to_traditional(items_zh) if language == "zh-Hant" else items_zh
