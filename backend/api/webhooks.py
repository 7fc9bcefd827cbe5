"""Webhooks: subscriptions (admin), their delivery log, ping and redelivery."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, ListArgs, Str, VersionArgs, page_schema
from backend.auth.decorators import require
from backend.models.ops import DELIVERY_STATUSES, WEBHOOK_FORMATS
from backend.services import webhooks as service

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="Webhooks for other systems")

PERM = "system.admin"


class WebhookIn(ma.Schema):
    url = ma.fields.URL(required=True, schemes={"http", "https"}, require_tld=False,
                        validate=validate.Length(max=500),
                        metadata={"description": "Must resolve to public addresses only, unless allow-listed "
                                                 "(WEBHOOK_ALLOWED_HOSTS); else 422 webhook_target_refused"})
    description = Str(200, allow_none=True)
    events = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=80)),
                            validate=validate.Length(min=1, max=100),
                            metadata={"description": "Event names or patterns: product.created, product.*, *"})
    secret = ma.fields.String(validate=validate.Length(min=16, max=128),
                              metadata={"description": "HMAC key; generated when omitted"})
    is_active = ma.fields.Boolean()
    format = ma.fields.String(validate=validate.OneOf(WEBHOOK_FORMATS), metadata={
        "description": "jxc: the signed JSON event; wecom / dingtalk / feishu: a group-bot markdown message"})


class WebhookPatch(WebhookIn):
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    rotate_secret = ma.fields.Boolean(metadata={"description": "Generate a new secret"})


class WebhookOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    url = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    events = ma.fields.List(ma.fields.String())
    is_active = ma.fields.Boolean()
    format = ma.fields.String()
    secret_hint = ma.fields.Function(lambda h: "…" + (h.secret or "")[-4:])
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class WebhookWithSecret(WebhookOut):
    secret = ma.fields.String(metadata={"description": "Shown on create, on rotation and to admins"})


class DeliveryOut(ma.Schema):
    id = ma.fields.Integer()
    webhook_id = ma.fields.Integer()
    event_id = ma.fields.String()
    event = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime(allow_none=True)
    last_attempt_at = ma.fields.AwareDateTime(allow_none=True)
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
    response_status = ma.fields.Integer(allow_none=True)
    response_body = ma.fields.Function(lambda d: service.excerpt(d.response_body), allow_none=True,
                                       metadata={"type": "string", "description": "Short excerpt of a textual answer "
                                                 f"(≤ {service.EXCERPT_CHARS} characters)"})
    error = ma.fields.String(allow_none=True)
    duration_ms = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    payload = ma.fields.Dict()


class DeliveryListArgs(ListArgs):
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class EventsOut(ma.Schema):
    items = ma.fields.List(ma.fields.String())


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_schema(WebhookOut, "WebhookPage"))
    @require(PERM)
    def get(self, args):
        """List webhooks."""
        return service.list_webhooks(args["page"], args["per_page"])

    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookWithSecret)
    @blp.errors(422)
    @require(PERM)
    def post(self, data):
        """Subscribe a URL to events; the response carries the signing secret."""
        return service.create_webhook(data)


@blp.route("/webhooks/events")
class WebhookEvents(MethodView):
    @blp.response(200, EventsOut)
    @require(PERM)
    def get(self):
        """Event names that can be subscribed to (documents also emit their actions, e.g. .approved)."""
        return {"items": service.event_catalogue()}


@blp.route("/webhooks/<int:webhook_id>")
class WebhookItem(MethodView):
    @blp.response(200, WebhookWithSecret)
    @blp.errors(404)
    @require(PERM)
    def get(self, webhook_id):
        """One webhook, with its secret."""
        return service.get_webhook(webhook_id)

    @blp.arguments(WebhookPatch(partial=tuple(WebhookIn().fields)))
    @blp.response(200, WebhookWithSecret)
    @blp.errors(404, 409, 422)
    @require(PERM)
    def patch(self, data, webhook_id):
        """Change url, events, active flag or secret (``rotate_secret: true``)."""
        version = data.pop("version")
        return service.update_webhook(webhook_id, version, data)

    @blp.arguments(VersionArgs, location="query")
    @blp.response(204)
    @blp.errors(404, 409)
    @require(PERM)
    def delete(self, args, webhook_id):
        """Delete a webhook and its delivery log."""
        service.delete_webhook(webhook_id, args["version"])


@blp.route("/webhooks/<int:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, page_schema(DeliveryOut, "WebhookDeliveryPage"))
    @blp.errors(404)
    @require(PERM)
    def get(self, args, webhook_id):
        """Delivery log, newest first (filter by status)."""
        return service.list_deliveries(webhook_id, args.get("status"), args["page"], args["per_page"])


@blp.route("/webhooks/<int:webhook_id>/ping")
class WebhookPing(MethodView):
    @blp.response(202, DeliveryOut)
    @blp.errors(404)
    @require(PERM)
    def post(self, webhook_id):
        """Queue a ``webhook.ping`` event (sent by the delivery worker)."""
        return service.ping(webhook_id)


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry")
class WebhookRedeliver(MethodView):
    @blp.response(202, DeliveryOut)
    @blp.errors(404)
    @require(PERM)
    def post(self, webhook_id, delivery_id):
        """Send a delivery again (also one that gave up)."""
        return service.redeliver(webhook_id, delivery_id)
