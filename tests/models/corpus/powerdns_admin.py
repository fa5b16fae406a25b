"""PowerDNS-Admin's models, extracted to stand alone (a corpus set for schemactl's tests).

Source: https://github.com/PowerDNS-Admin/PowerDNS-Admin
Commit: 742dd103e63d2e57e387e3487980c01d290e1cc2
Paths: powerdnsadmin/models/{base,account,account_user,api_key,api_key_account,
dnssec_rollover,domain,domain_setting,domain_template,domain_template_record,domain_user,
history,role,setting,user}.py
Licence: MIT (Copyright (c) 2016 Khanh Ngo)

Databases: PostgreSQL, MariaDB/MySQL and SQLite (the application supports all three; every
type here is generic and every indexed string has a length).

What it exercises: Flask-SQLAlchemy models without a naming convention, unnamed unique
constraints from ``unique=True`` beside ``index=True`` on the same column, unnamed foreign
keys (some with ``ON DELETE``), named composite indexes, an association table without a
primary key, a named unique constraint.

Edits (every one):
1. ``db = SQLAlchemy()`` / ``db.Model`` / ``db.Column`` / ``db.Table`` became plain
   SQLAlchemy: a ``DeclarativeBase`` subclass and the ``sqlalchemy`` names.
2. Flask-SQLAlchemy derives a table name from the class name when ``__tablename__`` is
   missing; those names are written out: ``domain``, ``history``, ``role``, ``setting``,
   ``user``.
3. Relationships, methods, properties, class constants and ``__init__``s removed (they do
   not touch the schema), and with them the imports they needed.
4. ``ApiKeyAccount``'s body holds a bare ``db.UniqueConstraint('apikey_id', 'account_id',
   name='uniq_apikey_account')`` expression statement, outside ``__table_args__``: it is
   attached to no table in the original, so it is kept as a comment here (faithful: the
   schema has no such constraint).
5. Non-model classes (``Record``, ``RecordEntry``, ``Server``, ``Anonymous``) dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata

domain_apikey = Table(
    "domain_apikey",
    metadata,
    Column("domain_id", Integer, ForeignKey("domain.id")),
    Column("apikey_id", Integer, ForeignKey("apikey.id")),
    Index("ix_domain_apikey_apikey_id_domain_id", "apikey_id", "domain_id"),
)


class Account(Base):
    __tablename__ = "account"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), index=True, unique=True, nullable=False)
    description = Column(String(128))
    contact = Column(String(128))
    mail = Column(String(128))


class AccountUser(Base):
    __tablename__ = "account_user"
    __table_args__ = (Index("ix_account_user_user_id_account_id", "user_id", "account_id"),)
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False)
    user_id = Column(Integer, ForeignKey("user.id"), nullable=False)


class ApiKey(Base):
    __tablename__ = "apikey"
    id = Column(Integer, primary_key=True)
    key = Column(String(255), unique=True, nullable=False)
    description = Column(String(255))
    role_id = Column(Integer, ForeignKey("role.id"))


class ApiKeyAccount(Base):
    __tablename__ = "apikey_account"
    __table_args__ = (Index("ix_apikey_account_apikey_id_account_id", "apikey_id", "account_id"),)
    id = Column(Integer, primary_key=True)
    apikey_id = Column(Integer, ForeignKey("apikey.id"), nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False)
    # Original: a bare statement attached to no table (edit 4), so not part of the schema:
    # db.UniqueConstraint('apikey_id', 'account_id', name='uniq_apikey_account')


class DnssecRollover(Base):
    __tablename__ = "dnssec_rollover"
    id = Column(Integer, primary_key=True)
    domain_id = Column(
        Integer, ForeignKey("domain.id", ondelete="CASCADE"), nullable=False, index=True
    )
    rollover_type = Column(String(16), nullable=False)
    keytype = Column(String(8), nullable=False)
    state = Column(String(32), nullable=False, index=True)
    old_key_ids = Column(Text(), nullable=False, default="[]")
    new_key_ids = Column(Text(), nullable=False, default="[]")
    algorithm = Column(String(32), nullable=False)
    bits = Column(Integer, nullable=False)
    started_by = Column(String(128), nullable=False)
    started_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    not_before = Column(DateTime, nullable=True)
    parent_ds_confirmed_at = Column(DateTime, nullable=True)
    completed_at = Column(DateTime, nullable=True)
    error = Column(Text(), nullable=True)
    active = Column(Boolean, nullable=False, default=True, index=True)


class DnssecRolloverKey(Base):
    __tablename__ = "dnssec_rollover_key"
    __table_args__ = (
        UniqueConstraint(
            "rollover_id", "role", "fingerprint", name="uq_dnssec_rollover_key_identity"
        ),
    )
    id = Column(Integer, primary_key=True)
    rollover_id = Column(
        Integer, ForeignKey("dnssec_rollover.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role = Column(String(8), nullable=False)
    backend_key_id = Column(Integer, nullable=True, index=True)
    fingerprint = Column(String(64), nullable=False, index=True)
    key_tag = Column(Integer, nullable=False)
    keytype = Column(String(8), nullable=False)
    algorithm = Column(String(32), nullable=False)
    bits = Column(Integer, nullable=True)
    dnskey = Column(Text(), nullable=False)
    ds = Column(Text(), nullable=False, default="[]")
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)


class Domain(Base):
    __tablename__ = "domain"
    id = Column(Integer, primary_key=True)
    name = Column(String(255), index=True, unique=True)
    master = Column(String(128))
    type = Column(String(8), nullable=False)
    serial = Column(BigInteger)
    notified_serial = Column(BigInteger)
    last_check = Column(Integer)
    dnssec = Column(Integer)
    account_id = Column(Integer, ForeignKey("account.id"))
    catalog = Column(String(255), index=True, unique=False)


class DomainSetting(Base):
    __tablename__ = "domain_setting"
    __table_args__ = (Index("ix_domain_setting_domain_id_setting", "domain_id", "setting"),)
    id = Column(Integer, primary_key=True)
    domain_id = Column(Integer, ForeignKey("domain.id"))
    setting = Column(String(255), nullable=False)
    value = Column(String(255))


class DomainTemplate(Base):
    __tablename__ = "domain_template"
    id = Column(Integer, primary_key=True)
    name = Column(String(255), index=True, unique=True)
    description = Column(String(255))


class DomainTemplateRecord(Base):
    __tablename__ = "domain_template_record"
    id = Column(Integer, primary_key=True)
    name = Column(String(255))
    type = Column(String(64))
    ttl = Column(Integer)
    data = Column(Text)
    comment = Column(Text)
    status = Column(Boolean)
    template_id = Column(Integer, ForeignKey("domain_template.id"))


class DomainUser(Base):
    __tablename__ = "domain_user"
    __table_args__ = (Index("ix_domain_user_user_id_domain_id", "user_id", "domain_id"),)
    id = Column(Integer, primary_key=True)
    domain_id = Column(Integer, ForeignKey("domain.id"), nullable=False)
    user_id = Column(Integer, ForeignKey("user.id"), nullable=False)


class History(Base):
    __tablename__ = "history"
    id = Column(Integer, primary_key=True)
    msg = Column(String(256))
    detail = Column(Text())
    created_by = Column(String(128))
    created_on = Column(DateTime, index=True, default=datetime.utcnow)
    domain_id = Column(Integer, ForeignKey("domain.id", ondelete="SET NULL"), nullable=True)


class Role(Base):
    __tablename__ = "role"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), index=True, unique=True)
    description = Column(String(128))


class Setting(Base):
    __tablename__ = "setting"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), unique=True, index=True)
    value = Column(Text())


class User(Base):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), index=True, unique=True)
    password = Column(String(64))
    firstname = Column(String(64))
    lastname = Column(String(64))
    email = Column(String(128))
    otp_secret = Column(String(16))
    otp_last_used = Column(BigInteger)
    confirmed = Column(SmallInteger, nullable=False, default=0)
    role_id = Column(Integer, ForeignKey("role.id"))
