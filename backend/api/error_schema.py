"""The one error payload, documented in OpenAPI."""
import marshmallow as ma


class ErrorSchema(ma.Schema):
    """Every error response: ``{code, status, message, errors}``."""

    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code, e.g. not_found"})
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable message"})
    errors = ma.fields.Raw(metadata={"description": "Details: field errors or context"})
