"""CityLoop: one closed loop for a city's social governance (一网统管)."""

__version__ = "0.1.0"
