"""Running CityLoop for real: scheduled jobs, notifications that reach people, live events,
metrics, readiness and backups. Adapters around the services; nothing here is domain logic."""
