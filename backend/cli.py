"""Flask CLI: every module in backend/commands with ``register(app)`` adds its commands."""
import importlib
import pkgutil

import backend.commands as _pkg


def register_cli(app) -> None:
    for m in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_pkg.__name__}.{m.name}")
        if hasattr(module, "register"):
            module.register(app)
