"""Security building blocks shared by the feature packages (field encryption at rest)."""
