"""CLI command modules: each defines ``register(app)``; all are registered by backend.cli."""
