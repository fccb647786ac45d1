"""The audit trail (安全审计): sealing, the hash chain, verification, retention and the auditor's
API. The tables are `audit_log` and `order_events` (cityloop.store.models)."""
