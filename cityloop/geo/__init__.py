"""Regions and grids: GeoJSON import with validation, point → unit grid lookup."""
