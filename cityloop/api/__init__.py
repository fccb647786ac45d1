"""FastAPI adapter: thin routers — parse, call a service, shape the answer."""
