"""Offline sync: device registration, push (ops applied exactly once), pull (changes since a cursor),
and the rejected-ops inbox (list, resolve with a corrected op, dismiss). Contract: docs/sync-protocol.md."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import marshmallow as ma
from flask import g, request
from flask.views import MethodView
from marshmallow import validate

from backend.api import input_guard
from backend.api.common import Blueprint, ListArgs, harden, page_schema
from backend.auth.decorators import current_user_required, require
from backend.auth.visibility import can_see_costs, strip
from backend.context import Actor, acting_as
from backend.errors import BadRequest, ValidationFailed
from backend.models.sync import SyncOp, SyncPhoto
from backend.sync import devices, ops, pull, push, rejected
from backend.sync.envelope import Op, Photo, check_batch_size, photo_refs
from backend.uploads import image_response

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync (push, pull, rejected ops)")

DEVICE_ID: dict[str, Any] = {"validate": validate.Length(min=1, max=64)}


class SyncDeviceIn(ma.Schema):
    device_id = ma.fields.String(required=True, **DEVICE_ID)
    name = ma.fields.String(allow_none=True, validate=validate.Length(max=120))
    platform = ma.fields.String(allow_none=True, validate=validate.Length(max=120))


class SyncDeviceOut(ma.Schema):
    device_id = ma.fields.String(attribute="id")
    user_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    platform = ma.fields.String(allow_none=True)
    last_seq = ma.fields.Integer(metadata={"description": "Highest seq processed; the next op is last_seq + 1"})
    is_active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    last_push_at = ma.fields.AwareDateTime(allow_none=True)


class SyncOpIn(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    op_id = ma.fields.UUID(required=True)
    device_id = ma.fields.String(**DEVICE_ID)
    seq = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    type = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    type_version = ma.fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    payload = ma.fields.Dict(required=True)
    client_time = ma.fields.AwareDateTime(allow_none=True, default_timezone=None)
    base_version = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class SyncPushIn(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    device_id = ma.fields.String(required=True, **DEVICE_ID)
    ops = ma.fields.List(ma.fields.Nested(SyncOpIn), required=True)

    @ma.validates_schema
    def _same_device(self, data: dict, **_: Any) -> None:
        bad = [i for i, op in enumerate(data.get("ops") or []) if op.get("device_id") not in (None, data["device_id"])]
        if bad:
            raise ma.ValidationError({str(i): ["device_id differs from the batch's device_id."] for i in bad}, "ops")


_PUSH_IN = harden(SyncPushIn())


class OpResultField(ma.fields.Raw):
    """An op's result; its cost keys (``ops.COST_RESULT_KEYS``) are left out without cost.view."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict) and not can_see_costs():
            return strip(value, ops.COST_RESULT_KEYS)
        return value


class SyncOpResult(ma.Schema):
    op_id = ma.fields.String()
    seq = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "applied | duplicate | rejected"})
    original_status = ma.fields.String(metadata={"description": "duplicate only: applied | rejected"})
    record_status = ma.fields.String(metadata={"description": "duplicate only: current status of the op record"})
    result = OpResultField(allow_none=True)
    code = ma.fields.String()
    message = ma.fields.String()
    errors = ma.fields.Raw()
    expected_seq = ma.fields.Integer()
    photo_kept = ma.fields.Boolean()


class SyncPushOut(ma.Schema):
    device_id = ma.fields.String()
    last_seq = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(SyncOpResult))
    stopped_at = ma.fields.Dict(metadata={"description": "Set when a sequence gap stopped the batch"})


class SyncPullArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    cursor = ma.fields.String(validate=validate.Length(max=2000))
    scope = ma.fields.String(load_default="all", validate=validate.OneOf(list(pull.SCOPES)))
    limit = ma.fields.Integer(load_default=pull.DEFAULT_LIMIT,
                              validate=validate.Range(min=1, max=pull.MAX_LIMIT))


class SyncChangeOut(ma.Schema):
    entity = ma.fields.String()
    id = ma.fields.Integer()
    op = ma.fields.String(metadata={"description": "upsert | delete"})
    data = ma.fields.Raw()


class SyncPullOut(ma.Schema):
    cursor = ma.fields.String()
    has_more = ma.fields.Boolean()
    reset = ma.fields.Boolean(metadata={"description": "True: a snapshot starts; drop local data first"})
    omitted = ma.fields.List(ma.fields.String(), metadata={
        "description": "Entity kinds of the scope left out: the user lacks their list permission"})
    changes = ma.fields.List(ma.fields.Nested(SyncChangeOut))


class SyncPhotoOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    decoded = ma.fields.String(allow_none=True)
    url = ma.fields.Method("_url")

    def _url(self, ph: SyncPhoto) -> str:
        return f"/api/v1/sync/ops/{ph.op_record_id}/photos/{ph.id}"


class SyncOpRecordOut(ma.Schema):
    id = ma.fields.Integer()
    op_id = ma.fields.String()
    device_id = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer(allow_none=True)
    username = ma.fields.Function(lambda r: r.user.username if r.user else None)
    seq = ma.fields.Integer(allow_none=True)
    type = ma.fields.String()
    type_version = ma.fields.Integer()
    payload = ma.fields.Raw()
    base_version = ma.fields.Integer(allow_none=True)
    client_time = ma.fields.AwareDateTime(allow_none=True)
    synced_at = ma.fields.AwareDateTime()
    status = ma.fields.String()
    result = OpResultField(allow_none=True)
    error_code = ma.fields.String(allow_none=True)
    error_message = ma.fields.String(allow_none=True)
    error_details = ma.fields.Raw(allow_none=True)
    has_photo = ma.fields.Boolean()
    resolves_id = ma.fields.Integer(allow_none=True)
    resolved_by_id = ma.fields.Integer(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    closed_by_user_id = ma.fields.Integer(allow_none=True)
    dismiss_reason = ma.fields.String(allow_none=True)


class SyncOpDetailOut(SyncOpRecordOut):
    photos = ma.fields.Method("_photos")

    def _photos(self, rec: SyncOp) -> list:
        return SyncPhotoOut(many=True).dump(rejected.photos_of(current_user_required(), rec.id)) if rec.has_photo else []


class SyncOpListArgs(ListArgs):
    status = ma.fields.String(validate=validate.OneOf(("applied", "rejected", "resolved", "dismissed")))
    device_id = ma.fields.String(**DEVICE_ID)
    type = ma.fields.String(validate=validate.Length(max=40))
    op_id = ma.fields.String(validate=validate.Length(max=64))
    user_id = ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    since = ma.fields.AwareDateTime(default_timezone=None)


class SyncDismissIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class SyncResolveIn(ma.Schema):
    op_id = ma.fields.UUID(metadata={"description": "New op_id for the corrected op (generated if omitted)"})
    type = ma.fields.String(validate=validate.Length(min=1, max=40))
    type_version = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    payload = ma.fields.Dict(required=True)
    base_version = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class SyncResolveOut(ma.Schema):
    rejected = ma.fields.Nested(SyncOpRecordOut)
    corrected = ma.fields.Nested(SyncOpRecordOut)


class SyncOpTypeOut(ma.Schema):
    type = ma.fields.String()
    type_version = ma.fields.Integer()
    permission = ma.fields.String()
    requires_base_version = ma.fields.Boolean()
    # an output key named like Schema.fields (the metaclass takes declared fields out of the class)
    fields = ma.fields.List(ma.fields.String())  # type: ignore[assignment]


def _as_sync(user: Any) -> AbstractContextManager[None]:
    return acting_as(Actor(user.id, user.username, "sync"), g.get("request_id"))


def _read_batch() -> tuple[dict, dict]:
    """The batch (JSON body, or the ``batch`` field of a multipart body) and its uploaded photos."""
    files: dict[str, Photo] = {}
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("batch")
        if raw is None and "batch" in request.files:
            raw = request.files["batch"].read().decode("utf-8", "replace")
        try:
            body = input_guard.load_json(raw, "batch") if raw else None
        except BadRequest as exc:  # nested too deep: the batch is malformed
            raise ValidationFailed(exc.message, zh=exc.message_zh, code="malformed_batch",
                                   errors=exc.errors) from None
        except ValueError:
            body = None
        if body is None:
            raise ValidationFailed("A multipart push needs a JSON 'batch' field.", code="malformed_batch",
                                   errors={"batch": ["Missing or not JSON."]})
        for name, fs in request.files.items(multi=False):
            if name != "batch":
                files[name] = Photo(name=name, data=fs.read(), content_type=fs.mimetype or
                                         "application/octet-stream")
    else:
        body = request.get_json(silent=True)
        if body is None:
            raise ValidationFailed("The body must be a JSON object {device_id, ops}.", code="malformed_batch",
                                   errors={"json": ["Invalid or missing JSON body."]})
    if not isinstance(body, dict):
        raise ValidationFailed("The body must be a JSON object {device_id, ops}.", code="malformed_batch",
                               errors={"json": ["Not an object."]})
    return body, files


@blp.route("/devices")
class Devices(MethodView):
    @blp.response(200, SyncDeviceOut(many=True))
    @require("sync.push")
    def get(self) -> Any:
        """Devices (own; all with sync.manage)."""
        return devices.list_devices(current_user_required())

    @blp.arguments(SyncDeviceIn)
    @blp.response(200, SyncDeviceOut)
    @blp.alt_response(201, schema=SyncDeviceOut)
    @blp.errors(403)
    @require("sync.push")
    def post(self, data: dict) -> Any:
        """Register a device to the current user (idempotent; 403 device_forbidden if another user's)."""
        dev, created = devices.register_device(current_user_required(), data["device_id"], data.get("name"),
                                            data.get("platform"))
        return dev, 201 if created else 200


@blp.route("/devices/<string:device_id>/disable")
class DeviceDisable(MethodView):
    @blp.response(200, SyncDeviceOut)
    @blp.errors(404)
    @require("sync.push")
    def post(self, device_id: str) -> Any:
        """Disable a device (a lost phone): its pushes are refused (403 device_disabled)."""
        return devices.set_device_active(current_user_required(), device_id, False)


@blp.route("/devices/<string:device_id>/enable")
class DeviceEnable(MethodView):
    @blp.response(200, SyncDeviceOut)
    @blp.errors(404)
    @require("sync.push")
    def post(self, device_id: str) -> Any:
        """Enable a disabled device again."""
        return devices.set_device_active(current_user_required(), device_id, True)


@blp.route("/push")
class Push(MethodView):
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": SyncPushIn},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "batch": {"type": "string", "description": "The JSON batch {device_id, ops}"}},
            "additionalProperties": {"type": "string", "format": "binary"}}}}})
    @blp.response(200, SyncPushOut)
    @blp.errors(403, 413, 422, 503)
    @require("sync.push")
    def post(self) -> Any:
        """Apply a batch of operations in order, each exactly once (see docs/sync-protocol.md)."""
        user = current_user_required()
        body, files = _read_batch()
        raw_ops = body.get("ops")
        if isinstance(raw_ops, list):
            check_batch_size(len(raw_ops))
        try:
            data = _PUSH_IN.load(body)
        except ma.ValidationError as exc:
            raise ValidationFailed("The batch is not valid; nothing was applied.", code="malformed_batch",
                                   errors=exc.messages) from None
        batch = []
        for o in data["ops"]:
            refs = photo_refs(o["payload"])
            batch.append(Op(op_id=str(o["op_id"]), seq=o["seq"], type=o["type"], payload=o["payload"],
                                 type_version=o["type_version"], client_time=o.get("client_time"),
                                 base_version=o.get("base_version"),
                                 photos={n: files[n] for n in refs if n in files}))
        with _as_sync(user):
            return push.push(user, data["device_id"], batch)


@blp.route("/pull")
class Pull(MethodView):
    @blp.arguments(SyncPullArgs, location="query")
    @blp.response(200, SyncPullOut)
    @blp.errors(422)
    @require("sync.push")
    def get(self, args: dict) -> Any:
        """What changed since the cursor (a full snapshot first), paged; scoped to the user's warehouses."""
        return pull.pull(current_user_required(), args.get("cursor"), args["scope"], args["limit"])


@blp.route("/op-types")
class OpTypes(MethodView):
    @blp.response(200, SyncOpTypeOut(many=True))
    @require("sync.push")
    def get(self) -> Any:
        """Operation types this server accepts."""
        return ops.describe()


@blp.route("/ops")
class Ops(MethodView):
    @blp.arguments(SyncOpListArgs, location="query")
    @blp.response(200, page_schema(SyncOpRecordOut, "SyncOpPage"))
    @require("sync.push")
    def get(self, args: dict) -> Any:
        """Op records, e.g. ``?status=rejected`` (own; everyone's with sync.manage)."""
        return rejected.list_ops(current_user_required(), args)


@blp.route("/ops/<int:rec_id>")
class OpDetail(MethodView):
    @blp.response(200, SyncOpDetailOut)
    @blp.errors(404)
    @require("sync.push")
    def get(self, rec_id: int) -> Any:
        """One op record with its kept photos."""
        return rejected.get_op(current_user_required(), rec_id)


@blp.route("/ops/<int:rec_id>/photos/<int:photo_id>")
class OpPhoto(MethodView):
    @blp.doc(responses={"200": {"description": "The photo (re-encoded PNG, JPEG or WebP)", "content": {
        m: {"schema": {"type": "string", "format": "binary"}} for m in ("image/png", "image/jpeg", "image/webp")}}})
    @blp.errors(404)
    @require("sync.push")
    def get(self, rec_id: int, photo_id: int) -> Any:
        """The photo kept with a rejected op."""
        ph = rejected.photo(current_user_required(), rec_id, photo_id)
        # inline only if the stored bytes are PNG/JPEG/WebP (rows from before the re-encoding included)
        return image_response(ph.data, f"op{rec_id}-photo{photo_id}-{ph.name}")


@blp.route("/ops/<int:rec_id>/dismiss")
class OpDismiss(MethodView):
    @blp.arguments(SyncDismissIn)
    @blp.response(200, SyncOpRecordOut)
    @blp.errors(404, 409)
    @require("sync.push")
    def post(self, data: dict, rec_id: int) -> Any:
        """Close a rejected op without applying it; the reason is kept and audited."""
        return rejected.dismiss_op(current_user_required(), rec_id, data["reason"])


@blp.route("/ops/<int:rec_id>/resolve")
class OpResolve(MethodView):
    @blp.arguments(SyncResolveIn)
    @blp.response(200, SyncResolveOut)
    @blp.errors(404, 409, 422)
    @require("sync.push")
    def post(self, data: dict, rec_id: int) -> Any:
        """Resolve a rejected op by applying a corrected op (new op_id, linked to the rejected one)."""
        user = current_user_required()
        if data.get("op_id"):
            data["op_id"] = str(data["op_id"])
        with _as_sync(user):
            rec, new = rejected.resolve_op(user, rec_id, data)
        return {"rejected": rec, "corrected": new}
