"""Deterministic demo-city data for CityLoop (云河市).

Everything here is pure Python, seeded, and database-free: the loader feeds it through the
service layer. Entry points: :func:`cityloop.demo.geography.build_regions`,
:mod:`cityloop.demo.organisation` and :func:`cityloop.demo.appeals.generate_appeals`.
"""
