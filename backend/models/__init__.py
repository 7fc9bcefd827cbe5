"""Models. Every module in this package is imported so that metadata is complete."""
import importlib
import pkgutil

from backend.models.base import Base, utcnow  # noqa: F401

for _m in pkgutil.iter_modules(__path__):
    if _m.name != "base":
        importlib.import_module(f"{__name__}.{_m.name}")
