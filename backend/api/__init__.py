"""HTTP API: every module in this package that defines ``blp`` is registered."""
import importlib
import pkgutil


def register_blueprints(api) -> None:
    from backend.api.common import Blueprint

    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{m.name}")
        blp = getattr(module, "blp", None)
        if blp is not None:
            if not isinstance(blp, Blueprint):  # its arguments would skip the input hardening
                raise TypeError(f"{module.__name__}.blp must be a backend.api.common.Blueprint")
            api.register_blueprint(blp)
