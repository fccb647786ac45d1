"""Trust-based property management (信托制物业): an open ledger and the owners' votes."""
