"""Core's initial schema: security, audit, customers, inventory, events, telemetry, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rjchronos.db.types import UtcDateTime

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

#: The audit table rejects UPDATE and DELETE (and TRUNCATE on PostgreSQL).
APPEND_ONLY = {
    "sqlite": (
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE is not allowed'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE is not allowed'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION rjc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = "
        "TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' is not allowed'; END $$",
        "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION rjc_audit_append_only()",
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION rjc_audit_append_only()",
    ),
}

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('core',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('time', UtcDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('params', JSON_DOCUMENT, nullable=False),
    sa.Column('result', sa.String(length=200), nullable=False),
    sa.Column('source_ip', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_index('ix_audit_entries_action_seq', 'audit_entries', ['action', 'seq'], unique=False)
    op.create_index('ix_audit_entries_actor_seq', 'audit_entries', ['actor', 'seq'], unique=False)
    op.create_index('ix_audit_entries_target_seq', 'audit_entries', ['target', 'seq'], unique=False)
    op.create_index('ix_audit_entries_time', 'audit_entries', ['time'], unique=False)
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.create_table('device_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=26), nullable=True),
    sa.Column('time', UtcDateTime(), nullable=False),
    sa.Column('payload', JSON_DOCUMENT, nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_device_events_device', 'device_events', ['device_id', 'id'], unique=False)
    op.create_index('ix_device_events_type_time', 'device_events', ['type', 'time'], unique=False)
    op.create_table('jobs',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('type', sa.String(length=200), nullable=False),
    sa.Column('params', JSON_DOCUMENT, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queue', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('dedup_key', sa.String(length=300), nullable=True),
    sa.Column('run_at', UtcDateTime(), nullable=True),
    sa.Column('expires_at', UtcDateTime(), nullable=True),
    sa.Column('triggered_at', UtcDateTime(), nullable=True),
    sa.Column('started_at', UtcDateTime(), nullable=True),
    sa.Column('finished_at', UtcDateTime(), nullable=True),
    sa.Column('lease_until', UtcDateTime(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('result', JSON_DOCUMENT, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_jobs_device_id_id', 'jobs', ['device_id', 'id'], unique=False)
    op.create_index('ix_jobs_open_status_run_at', 'jobs', ['status', 'run_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'queued', 'running')"), sqlite_where=sa.text("status IN ('pending', 'queued', 'running')"))
    op.create_index('ix_jobs_status_id', 'jobs', ['status', 'id'], unique=False)
    op.create_index('ix_jobs_type_id', 'jobs', ['type', 'id'], unique=False)
    op.create_index('uq_jobs_open_dedup_key', 'jobs', ['dedup_key'], unique=True, postgresql_where=sa.text("status IN ('pending', 'queued', 'running')"), sqlite_where=sa.text("status IN ('pending', 'queued', 'running')"))
    op.create_table('plans',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('download_mbps', sa.Float(), nullable=False),
    sa.Column('upload_mbps', sa.Float(), nullable=False),
    sa.Column('sla_availability_percent', sa.Float(), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('roles',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('permissions', JSON_DOCUMENT, nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_roles_name'), 'roles', ['name'], unique=True)
    op.create_table('schedules',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('job_type', sa.String(length=200), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('nominal_at', UtcDateTime(), nullable=False),
    sa.Column('next_run_at', UtcDateTime(), nullable=False),
    sa.Column('lease_until', UtcDateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('last_run_at', UtcDateTime(), nullable=True),
    sa.Column('last_job_id', sa.String(length=26), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_schedules_kind_name_device', 'schedules', ['kind', 'name', 'device_id'], unique=False)
    op.create_index('ix_schedules_next_run_at', 'schedules', ['next_run_at'], unique=False)
    op.create_table('sites',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('neighbourhood', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=60), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sites_region'), 'sites', ['region'], unique=False)
    op.create_table('telemetry_samples',
    sa.Column('entity', sa.String(length=128), nullable=False),
    sa.Column('metric', sa.String(length=128), nullable=False),
    sa.Column('time', UtcDateTime(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('labels', JSON_DOCUMENT, nullable=False),
    sa.PrimaryKeyConstraint('entity', 'metric', 'time'),
    sqlite_with_rowid=False
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('totp_secret', sa.String(length=512), nullable=True),
    sa.Column('totp_enabled', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('last_login_at', UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_users_username'), 'users', ['username'], unique=True)
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('permissions', JSON_DOCUMENT, nullable=True),
    sa.Column('scopes', JSON_DOCUMENT, nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('expires_at', UtcDateTime(), nullable=True),
    sa.Column('last_used_at', UtcDateTime(), nullable=True),
    sa.Column('revoked_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_api_tokens_token_hash'), 'api_tokens', ['token_hash'], unique=True)
    op.create_index('ix_api_tokens_user_kind', 'api_tokens', ['user_id', 'kind'], unique=False)
    op.create_table('customers',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('document', sa.String(length=14), nullable=True),
    sa.Column('contacts', JSON_DOCUMENT, nullable=False),
    sa.Column('preferred_channel', sa.String(length=16), nullable=True),
    sa.Column('plan_id', sa.String(length=26), nullable=True),
    sa.Column('site_id', sa.String(length=26), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.Column('cancelled_at', UtcDateTime(), nullable=True),
    sa.Column('erased_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id')
    )
    op.create_index('ix_customers_name_key', 'customers', ['name_key'], unique=False, postgresql_ops={'name_key': 'text_pattern_ops'})
    op.create_index(op.f('ix_customers_plan_id'), 'customers', ['plan_id'], unique=False)
    op.create_index(op.f('ix_customers_site_id'), 'customers', ['site_id'], unique=False)
    op.create_index('ix_customers_status_cancelled_at', 'customers', ['status', 'cancelled_at'], unique=False)
    op.create_table('role_bindings',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.String(length=26), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_role_bindings_role_id'), 'role_bindings', ['role_id'], unique=False)
    op.create_index(op.f('ix_role_bindings_user_id'), 'role_bindings', ['user_id'], unique=False)
    op.create_table('ui_sessions',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('source_ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('expires_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ui_sessions_session_hash'), 'ui_sessions', ['session_hash'], unique=True)
    op.create_index(op.f('ix_ui_sessions_user_id'), 'ui_sessions', ['user_id'], unique=False)
    op.create_table('devices',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('vendor', sa.String(length=64), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('mac', sa.String(length=17), nullable=True),
    sa.Column('firmware', sa.String(length=128), nullable=False),
    sa.Column('hardware_version', sa.String(length=64), nullable=False),
    sa.Column('identity', sa.String(length=255), nullable=True),
    sa.Column('management_address', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_since', UtcDateTime(), nullable=True),
    sa.Column('last_seen', UtcDateTime(), nullable=True),
    sa.Column('tags', JSON_DOCUMENT, nullable=False),
    sa.Column('attributes', JSON_DOCUMENT, nullable=False),
    sa.Column('parent_id', sa.String(length=26), nullable=True),
    sa.Column('olt_id', sa.String(length=26), nullable=True),
    sa.Column('site_id', sa.String(length=26), nullable=True),
    sa.Column('customer_id', sa.String(length=26), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['olt_id'], ['devices.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['devices.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_devices_customer', 'devices', ['customer_id', 'id'], unique=False)
    op.create_index('ix_devices_kind_status', 'devices', ['kind', 'status', 'id'], unique=False)
    op.create_index('ix_devices_mac', 'devices', ['mac'], unique=False)
    op.create_index('ix_devices_olt', 'devices', ['olt_id', 'id'], unique=False)
    op.create_index('ix_devices_parent', 'devices', ['parent_id', 'id'], unique=False)
    op.create_index('ix_devices_site', 'devices', ['site_id', 'id'], unique=False)
    op.create_index('ix_devices_vendor_model', 'devices', ['vendor', 'model'], unique=False)
    op.create_index('ux_devices_identity', 'devices', ['identity'], unique=True)
    op.create_index('ux_devices_serial_kind', 'devices', ['serial', 'kind'], unique=True, postgresql_ops={'serial': 'text_pattern_ops'})
    if op.get_bind().dialect.name == "postgresql":
        # Prefix search on names and tag containment; SQLite scans instead.
        op.execute("CREATE INDEX ix_devices_name_prefix ON devices (lower(name) text_pattern_ops)")
        op.create_index('ix_devices_tags', 'devices', ['tags'], unique=False, postgresql_using='gin', postgresql_ops={'tags': 'jsonb_path_ops'})


def downgrade() -> None:
    op.drop_index('ux_devices_serial_kind', table_name='devices', postgresql_ops={'serial': 'text_pattern_ops'})
    op.drop_index('ux_devices_identity', table_name='devices')
    op.drop_index('ix_devices_vendor_model', table_name='devices')
    op.execute("DROP INDEX IF EXISTS ix_devices_tags")
    op.drop_index('ix_devices_site', table_name='devices')
    op.drop_index('ix_devices_parent', table_name='devices')
    op.drop_index('ix_devices_olt', table_name='devices')
    op.execute("DROP INDEX IF EXISTS ix_devices_name_prefix")
    op.drop_index('ix_devices_mac', table_name='devices')
    op.drop_index('ix_devices_kind_status', table_name='devices')
    op.drop_index('ix_devices_customer', table_name='devices')
    op.drop_table('devices')
    op.drop_index(op.f('ix_ui_sessions_user_id'), table_name='ui_sessions')
    op.drop_index(op.f('ix_ui_sessions_session_hash'), table_name='ui_sessions')
    op.drop_table('ui_sessions')
    op.drop_index(op.f('ix_role_bindings_user_id'), table_name='role_bindings')
    op.drop_index(op.f('ix_role_bindings_role_id'), table_name='role_bindings')
    op.drop_table('role_bindings')
    op.drop_index('ix_customers_status_cancelled_at', table_name='customers')
    op.drop_index(op.f('ix_customers_site_id'), table_name='customers')
    op.drop_index(op.f('ix_customers_plan_id'), table_name='customers')
    op.drop_index('ix_customers_name_key', table_name='customers', postgresql_ops={'name_key': 'text_pattern_ops'})
    op.drop_table('customers')
    op.drop_index('ix_api_tokens_user_kind', table_name='api_tokens')
    op.drop_index(op.f('ix_api_tokens_token_hash'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index(op.f('ix_users_username'), table_name='users')
    op.drop_table('users')
    op.drop_table('telemetry_samples')
    op.drop_index(op.f('ix_sites_region'), table_name='sites')
    op.drop_table('sites')
    op.drop_index('ix_schedules_next_run_at', table_name='schedules')
    op.drop_index('ix_schedules_kind_name_device', table_name='schedules')
    op.drop_table('schedules')
    op.drop_index(op.f('ix_roles_name'), table_name='roles')
    op.drop_table('roles')
    op.drop_table('plans')
    op.drop_index('uq_jobs_open_dedup_key', table_name='jobs', postgresql_where=sa.text("status IN ('pending', 'queued', 'running')"), sqlite_where=sa.text("status IN ('pending', 'queued', 'running')"))
    op.drop_index('ix_jobs_type_id', table_name='jobs')
    op.drop_index('ix_jobs_status_id', table_name='jobs')
    op.drop_index('ix_jobs_open_status_run_at', table_name='jobs', postgresql_where=sa.text("status IN ('pending', 'queued', 'running')"), sqlite_where=sa.text("status IN ('pending', 'queued', 'running')"))
    op.drop_index('ix_jobs_device_id_id', table_name='jobs')
    op.drop_table('jobs')
    op.drop_index('ix_device_events_type_time', table_name='device_events')
    op.drop_index('ix_device_events_device', table_name='device_events')
    op.drop_table('device_events')
    op.drop_index('ix_audit_entries_time', table_name='audit_entries')
    op.drop_index('ix_audit_entries_target_seq', table_name='audit_entries')
    op.drop_index('ix_audit_entries_actor_seq', table_name='audit_entries')
    op.drop_index('ix_audit_entries_action_seq', table_name='audit_entries')
    op.drop_table('audit_entries')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS rjc_audit_append_only()")
