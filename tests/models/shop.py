"""Shop schema: a classic ``declarative_base()`` model with ``Column`` attributes.

Covers composite primary keys, a composite FK onto a composite PK, single- and multi-column
UNIQUE constraints, CHECK constraints, a non-native Enum (VARCHAR plus a named CHECK), and
server defaults of several kinds: a string literal, numbers, booleans and CURRENT_TIMESTAMP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeMeta, declarative_base

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)
if TYPE_CHECKING:
    # declarative_base() is typed as returning Any, which mypy 2 rejects as a base class.
    # This stub is what type checkers see; at run time Base is the classic declarative base.
    # Note: under SQLAlchemy 2.1 typing, class-level access to a Column attribute
    # (Customer.id) is typed Never; use Customer.__table__.c.id in typed code.
    class Base(metaclass=DeclarativeMeta):
        metadata: ClassVar[MetaData]
        __table__: ClassVar[Table]
else:
    Base = declarative_base(metadata=metadata)

ORDER_STATES = ("pending", "paid", "shipped", "cancelled")


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False, unique=True)  # single-column UNIQUE
    name = Column(String(100), nullable=False)
    country = Column(String(2), nullable=False, server_default="US")  # string literal
    is_vip = Column(Boolean, nullable=False, server_default=false())  # boolean
    birth_date = Column(Date)
    created_at = Column(DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP"))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("region", "name"),  # multi-column UNIQUE: uq_products_region_name
        CheckConstraint("price >= 0", name="price_nonneg"),
    )

    sku = Column(String(32), primary_key=True)  # composite PK (sku, region)
    region = Column(String(8), primary_key=True)
    name = Column(String(200), nullable=False)
    price = Column(Numeric(12, 2), nullable=False, server_default=text("0"))  # number
    stock = Column(Integer, nullable=False, server_default=text("0"))  # number
    is_active = Column(Boolean, nullable=False, server_default=true())
    image = Column(LargeBinary)
    description = Column(Text)


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    # No explicit index: on MariaDB this FK gets an implicit index named after the FK.
    customer_id = Column(
        Integer,
        ForeignKey("customers.id", ondelete="RESTRICT"),
        nullable=False,
    )
    state: Column[str] = Column(
        Enum(
            *ORDER_STATES,
            name="order_state",
            native_enum=False,
            create_constraint=True,  # CHECK ck_orders_order_state
            length=20,
        ),
        nullable=False,
        server_default="pending",
    )
    ordered_on = Column(Date, nullable=False)
    placed_at = Column(DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP"))
    shipped_at = Column(DateTime)
    total = Column(Numeric(12, 2), nullable=False, server_default=text("0"))


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        ForeignKeyConstraint(  # composite FK onto the composite PK of products
            ["product_sku", "product_region"],
            ["products.sku", "products.region"],
            ondelete="RESTRICT",
        ),
        Index(None, "product_sku", "product_region"),  # ix_order_lines_product_sku_product_region
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    order_id = Column(  # composite PK (order_id, line_no)
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    line_no = Column(Integer, primary_key=True, autoincrement=False)
    product_sku = Column(String(32), nullable=False)
    product_region = Column(String(8), nullable=False)
    quantity = Column(Integer, nullable=False, server_default=text("1"))
    unit_price = Column(Numeric(12, 2), nullable=False)
    gift_wrap = Column(Boolean, nullable=False, server_default=false())
