"""Users, roles, tokens, sessions, the audit log and secrets at rest."""
