"""Intelligent perception (智能感知): devices and AI cameras over MQTT become work orders.

- `schema`   topics and the JSON payload, validated (pure)
- `rules`    the declarative rule file (YAML), validated at load (pure)
- `engine`   per-device-stream rule evaluation in memory (pure)
- `store`    tables: devices, processed messages, incidents, webhook vendors
- `registry` the device registry (CSV import, listing, the consumer's in-memory cache)
- `pipeline` one batch of messages → rules → orders/notes, committed in one transaction
- `mqtt`     the consumer (QoS 1, persistent session, manual acks) and the command publisher
- `simulate` realistic device streams for demos and the benchmark
- `router`, `cli`  the HTTP and command-line edges
"""
