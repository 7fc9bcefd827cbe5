"""Flask CLI commands (filled in below)."""


def register_cli(app) -> None:
    pass
