"""`python -m cityloop.sensing run` — the same commands as `cityloop sensing …`."""

from cityloop.sensing.cli import sensing_app

if __name__ == "__main__":
    sensing_app()
