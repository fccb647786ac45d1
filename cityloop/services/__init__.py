"""Use cases: each ties the domain to the store and adapters, one commit per use case."""
