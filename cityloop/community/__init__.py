"""The community side (社区): the community database (people, houses, shops, care tags), the wish
wall, snap-and-report, the points ledger and dispute mediation. See docs/COMMUNITY.md."""
