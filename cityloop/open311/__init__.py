"""Open311 GeoReport v2: existing civic-tech clients report to CityLoop and follow their
requests (https://wiki.open311.org/GeoReport_v2).

Importing this package registers the `open311_clients` table on `cityloop.store.models.Base`.
"""

from cityloop.open311 import store as store  # noqa: F401  (registers the table)
