"""Security tables: users, roles, role bindings, tokens, UI sessions and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, Column, Index, Integer, String, event
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow


class User(SQLModel, table=True):
    """A person who signs in to the UI or the API."""

    __tablename__ = "users"
    # Never reuse the id of a deleted user: audit entries name users by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(default="", max_length=128)
    email: str = Field(default="", max_length=254)
    locale: str = Field(default="pt-BR", max_length=8)
    disabled: bool = False
    #: The TOTP seed, encrypted with the kernel's secret box; set at enrolment.
    totp_secret: str | None = Field(default=None, max_length=512)
    #: True once the user confirmed enrolment with a valid code.
    totp_enabled: bool = False
    #: The last accepted TOTP time step, so one code cannot be replayed.
    totp_last_step: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Role(SQLModel, table=True):
    """A named set of permissions; built-in roles take theirs from the declarations."""

    __tablename__ = "roles"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=64, unique=True, index=True)
    description: str = Field(default="", max_length=500)
    permissions: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    builtin: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RoleBinding(SQLModel, table=True):
    """A role granted to a user everywhere (``scope`` None) or in one region or OLT."""

    __tablename__ = "role_bindings"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    user_id: int = Field(foreign_key="users.id", index=True)
    role_id: str = Field(foreign_key="roles.id", index=True, max_length=26)
    #: ``None`` (everywhere), ``"region:<name>"`` or ``"olt:<device id>"``.
    scope: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer credential: a short-lived access token or a long-lived API token.

    Only the SHA-256 of the secret is stored; ``prefix`` lets a user tell
    tokens apart. ``permissions`` and ``scopes`` (``None``: all of the
    user's) narrow what an API token may do.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_kind", "user_id", "kind"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    kind: str = Field(max_length=8)  # "access" or "api"
    user_id: int = Field(foreign_key="users.id")
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    permissions: list[str] | None = Field(
        default=None, sa_column=Column(JsonDocument, nullable=True)
    )
    scopes: list[str] | None = Field(default=None, sa_column=Column(JsonDocument, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class UiSession(SQLModel, table=True):
    """A signed-in web UI: the cookie holds the secret, the table its SHA-256."""

    __tablename__ = "ui_sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    session_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    source_ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)


class AuditEntry(SQLModel, table=True):
    """One row of the append-only, hash-chained audit log.

    ``hash`` is SHA-256 of ``prev_hash`` followed by the canonical JSON of
    the row (sequence number included), so an edited, inserted or deleted
    row breaks the chain. Triggers reject UPDATE and DELETE.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_seq", "actor", "seq"),
        Index("ix_audit_entries_action_seq", "action", "seq"),
        Index("ix_audit_entries_target_seq", "target", "seq"),
        Index("ix_audit_entries_time", "time"),
    )

    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    time: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    target: str = Field(default="", max_length=300)
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    result: str = Field(default="ok", max_length=200)
    source_ip: str = Field(default="", max_length=64)
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


AUDIT_TABLE = "audit_entries"

#: Triggers that make the audit table append-only, by dialect. A migration
#: that creates the table must run these too (``op.execute`` each statement).
APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        f"CREATE TRIGGER {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only: UPDATE is not allowed'); END",
        f"CREATE TRIGGER {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only: DELETE is not allowed'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION rjc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = "
        "TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' is not allowed'; END $$",
        f"CREATE TRIGGER {AUDIT_TABLE}_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION rjc_audit_append_only()",
        f"CREATE TRIGGER {AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION rjc_audit_append_only()",
    ),
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(
            AuditEntry.__table__,  # type: ignore[attr-defined]
            "after_create",
            DDL(_statement).execute_if(dialect=_dialect),
        )
