"""Orders and refunds: the interface actions use, and an SQLAlchemy implementation of it.

A shop replaces `SqlOrderRepository` with a client of its own order system by implementing
`OrderRepository`; the actions never see a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, sessionmaker

ORDER_ID = re.compile(r"^\d{6,20}$")

ORDER_STATUSES = (
    "pending_payment", "processing", "shipped", "in_transit", "out_for_delivery", "delivered", "cancelled",
)
REFUND_STATUSES = ("none", "requested", "approved", "refunded", "rejected")


@dataclass(frozen=True)
class Order:
    order_id: str
    status: str
    items_zh: str
    items_en: str
    amount: float
    currency: str
    placed_at: datetime
    carrier: Optional[str] = None
    tracking_number: Optional[str] = None
    eta: Optional[date] = None
    delivered_at: Optional[datetime] = None
    refund_status: str = "none"
    refund_amount: Optional[float] = None
    refund_eta: Optional[date] = None
    refund_completed_at: Optional[datetime] = None


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Optional[Order]:
        """The order with this number, or None when the shop has no such order."""


def normalise_order_id(raw: str) -> Optional[str]:
    """Digits only ('#2025 1103 887' → '20251103887'); None when it cannot be an order number."""
    digits = re.sub(r"[\s#\-]", "", raw)
    return digits if ORDER_ID.match(digits) else None


Base = declarative_base()


class OrderRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "shop_orders"
    order_id = sa.Column(sa.String(32), primary_key=True)
    status = sa.Column(sa.String(32), nullable=False)
    items_zh = sa.Column(sa.String(200), nullable=False)
    items_en = sa.Column(sa.String(200), nullable=False)
    amount = sa.Column(sa.Numeric(12, 2, asdecimal=False), nullable=False)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    placed_at = sa.Column(sa.DateTime, nullable=False)
    carrier = sa.Column(sa.String(40))
    tracking_number = sa.Column(sa.String(40))
    eta = sa.Column(sa.Date)
    delivered_at = sa.Column(sa.DateTime)
    refund_status = sa.Column(sa.String(16), nullable=False, default="none")
    refund_amount = sa.Column(sa.Numeric(12, 2, asdecimal=False))
    refund_eta = sa.Column(sa.Date)
    refund_completed_at = sa.Column(sa.DateTime)

    def to_order(self) -> Order:
        return Order(
            order_id=self.order_id,
            status=self.status,
            items_zh=self.items_zh,
            items_en=self.items_en,
            amount=float(self.amount),
            currency=self.currency,
            placed_at=self.placed_at,
            carrier=self.carrier,
            tracking_number=self.tracking_number,
            eta=self.eta,
            delivered_at=self.delivered_at,
            refund_status=self.refund_status,
            refund_amount=float(self.refund_amount) if self.refund_amount is not None else None,
            refund_eta=self.refund_eta,
            refund_completed_at=self.refund_completed_at,
        )


class SqlOrderRepository:
    """Orders in any SQLAlchemy database (SQLite by default, PostgreSQL on several machines)."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = (
            {"connect_args": {"check_same_thread": False}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        )
        self.engine = sa.create_engine(url, future=True, **kwargs)
        self._session = sessionmaker(self.engine, future=True, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def get(self, order_id: str) -> Optional[Order]:
        with self._session() as session:
            row = session.get(OrderRow, order_id)
            return row.to_order() if row else None

    def upsert(self, order: Order) -> None:
        """Adds or replaces an order; an unknown status is refused before anything is written."""
        if order.status not in ORDER_STATUSES:
            raise ValueError(f"order {order.order_id}: unknown status {order.status!r}; one of {ORDER_STATUSES}")
        if order.refund_status not in REFUND_STATUSES:
            raise ValueError(f"order {order.order_id}: unknown refund status {order.refund_status!r}")
        with self._session.begin() as session:
            session.merge(OrderRow(**order.__dict__))


def demo_orders() -> list[Order]:
    """Demo data `make run` seeds; the numbers appear in the README and the tests."""
    d, t = date, datetime
    return [
        Order("20251103887", "in_transit", "无线降噪耳机 ×1", "wireless noise-cancelling earbuds ×1", 599.0, "CNY",
              t(2025, 11, 3, 10, 21), "顺丰速运 SF Express", "SF1402938475612", d(2025, 11, 6)),
        Order("20251028001", "delivered", "羊毛围巾 ×2", "wool scarf ×2", 258.0, "CNY", t(2025, 10, 28, 9, 2),
              "中通快递 ZTO", "ZTO7730019283", d(2025, 10, 31), t(2025, 10, 30, 15, 40),
              "refunded", 129.0, None, t(2025, 11, 8, 11, 5)),
        Order("20251105123", "processing", "空气炸锅 4.5L ×1", "4.5 L air fryer ×1", 399.0, "CNY",
              t(2025, 11, 5, 20, 13), eta=d(2025, 11, 9)),
        Order("20251101456", "delivered", "儿童保温杯 ×1", "kids' thermos bottle ×1", 89.9, "CNY",
              t(2025, 11, 1, 8, 45), "京东物流 JD Logistics", "JD0098123344", d(2025, 11, 3), t(2025, 11, 3, 12, 9),
              "approved", 89.9, d(2025, 11, 14)),
        Order("20251030777", "delivered", "充电宝 20000mAh ×1", "20,000 mAh power bank ×1", 159.0, "CNY",
              t(2025, 10, 30, 22, 0), "顺丰速运 SF Express", "SF1409988776655", d(2025, 11, 1), t(2025, 11, 1, 10, 30),
              "requested", 159.0, d(2025, 11, 15)),
        Order("20251106002", "pending_payment", "运动鞋 42 码 ×1", "running shoes EU 42 ×1", 459.0, "CNY",
              t(2025, 11, 6, 9, 58)),
        Order("20251020999", "cancelled", "台灯 ×1", "desk lamp ×1", 129.0, "CNY", t(2025, 10, 20, 14, 7)),
        Order("20251104321", "out_for_delivery", "牛仔外套 M ×1", "denim jacket M ×1", 329.0, "CNY",
              t(2025, 11, 4, 16, 30), "京东物流 JD Logistics", "JD0098555123", d(2025, 11, 6)),
        Order("20251015555", "delivered", "咖啡豆 500g ×2", "coffee beans 500 g ×2", 176.0, "CNY",
              t(2025, 10, 15, 11, 11), "中通快递 ZTO", "ZTO7730087123", d(2025, 10, 18), t(2025, 10, 17, 18, 2),
              "rejected", 176.0),
    ]


def seed_demo_orders(repo: SqlOrderRepository) -> int:
    repo.create_schema()
    orders = demo_orders()
    for order in orders:
        repo.upsert(order)
    return len(orders)


if __name__ == "__main__":
    from core.settings import load

    settings = load()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    count = seed_demo_orders(SqlOrderRepository(settings.database_url))
    print(f"seeded {count} demo orders into {settings.database_url.split('@')[-1]}")
