"""HTTP API: every module in this package that defines ``blp`` is registered, and the blueprints of the
entry points beside it (``ENTRY_POINTS``: backend/sync/api.py)."""
import importlib
import pkgutil

from backend.api.common import Blueprint

ENTRY_POINTS = {"sync": "backend.sync.api"}  # name -> module of a blueprint beside this package


def register_blueprints(api) -> None:
    modules = {m.name: f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)} | ENTRY_POINTS
    for _name, path in sorted(modules.items()):
        module = importlib.import_module(path)
        blp = getattr(module, "blp", None)
        if blp is not None:
            if not isinstance(blp, Blueprint):  # its arguments would skip the input hardening
                raise TypeError(f"{module.__name__}.blp must be a backend.api.common.Blueprint")
            api.register_blueprint(blp)
