"""Notifications: the Web Push key, this device's subscription, and what the user wants to be told."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Str
from backend.auth.decorators import AUTHENTICATED, current_user_required, require
from backend.models.notifications import NOTIFICATION_KINDS
from backend.services import notifications

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications (Web Push)")


class KeyOut(ma.Schema):
    public_key = ma.fields.String(metadata={"description": "VAPID applicationServerKey (base64url P-256 point)"})


class SubKeys(ma.Schema):
    p256dh = ma.fields.String(required=True, validate=validate.Length(min=20, max=200))
    auth = ma.fields.String(required=True, validate=validate.Length(min=8, max=100))


class SubscriptionIn(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # PushSubscription.toJSON() also has expirationTime

    endpoint = ma.fields.URL(required=True, schemes={"https", "http"}, require_tld=False,
                             validate=validate.Length(max=1000))
    keys = ma.fields.Nested(SubKeys, required=True)
    device_label = Str(200, allow_none=True)


class SubscriptionOut(ma.Schema):
    id = ma.fields.Integer()
    device_label = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class UnsubscribeIn(ma.Schema):
    endpoint = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PrefsIn(ma.Schema):
    kinds = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(NOTIFICATION_KINDS)),
                           values=ma.fields.Boolean(), required=True)


class PrefsOut(ma.Schema):
    kinds = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean(),
                           metadata={"description": f"Every kind: {', '.join(NOTIFICATION_KINDS)}"})
    devices = ma.fields.Integer(metadata={"description": "Devices subscribed for this user"})


@blp.route("/notifications/push-key")
class PushKey(MethodView):
    @blp.response(200, KeyOut)
    @blp.errors(401)
    @require(AUTHENTICATED)
    def get(self):
        """The server's VAPID public key, for ``PushManager.subscribe({applicationServerKey})``."""
        return {"public_key": notifications.public_key()}


@blp.route("/notifications/subscriptions")
class Subscriptions(MethodView):
    @blp.arguments(SubscriptionIn)
    @blp.response(201, SubscriptionOut)
    @blp.errors(401, 422)
    @require(AUTHENTICATED)
    def post(self, data):
        """Subscribe this device (the browser's PushSubscription JSON); re-subscribing updates it."""
        return notifications.subscribe(current_user_required(), data)


@blp.route("/notifications/subscriptions/remove")
class Unsubscribe(MethodView):
    @blp.arguments(UnsubscribeIn)
    @blp.response(204)
    @blp.errors(401, 422)
    @require(AUTHENTICATED)
    def post(self, data):
        """Stop pushing to this device (by its endpoint)."""
        notifications.unsubscribe(current_user_required(), data["endpoint"])


@blp.route("/notifications/preferences")
class Preferences(MethodView):
    @blp.response(200, PrefsOut)
    @blp.errors(401)
    @require(AUTHENTICATED)
    def get(self):
        """What this user is told (every kind on unless switched off) and how many devices are subscribed."""
        return notifications.preferences(current_user_required())

    @blp.arguments(PrefsIn)
    @blp.response(200, PrefsOut)
    @blp.errors(401, 422)
    @require(AUTHENTICATED)
    def put(self, data):
        """Switch kinds on or off: ``{kinds: {approval_pending: true, low_stock: false, …}}``."""
        return notifications.set_preferences(current_user_required(), data["kinds"])
