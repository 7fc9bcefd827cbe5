"""Health check."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import text

from backend.api.common import Blueprint
from backend.auth.decorators import PUBLIC, require
from backend.extensions import db

blp = Blueprint("health", __name__, url_prefix="/api", description="Health")


class HealthOut(ma.Schema):
    status = ma.fields.String()
    database = ma.fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthOut)
    @blp.alt_response(503, schema=HealthOut)
    @require(PUBLIC)
    def get(self):
        """Liveness and database check."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # report, never raise: load balancers read the status
            db.session.rollback()
            return {"status": "error", "database": "unreachable"}, 503
        return {"status": "ok", "database": db.engine.dialect.name}
