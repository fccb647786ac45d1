"""Notifications that reach people: templates, recipients and preferences, channels, and the
delivery queue that any number of workers share."""
