"""Suppliers and customers."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api.common import Blueprint, Dec, ListArgs, Str
from backend.api.crud import crud_resource
from backend.models.partners import Customer, Supplier

blp = Blueprint("partners", __name__, url_prefix="/api/v1", description="Suppliers and customers")


class PartnerIn(ma.Schema):
    code = Str(64, required=True, min_len=1)
    name = Str(200, required=True, min_len=1)
    contact = Str(100, allow_none=True)
    phone = Str(50, allow_none=True)
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=200))
    address = Str(300, allow_none=True)
    tax_id = Str(50, allow_none=True)
    payment_terms_days = ma.fields.Integer(validate=validate.Range(min=0, max=3650))
    notes = Str(2000, allow_none=True)
    is_active = ma.fields.Boolean()


class PartnerOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    contact = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    tax_id = ma.fields.String(allow_none=True)
    payment_terms_days = ma.fields.Integer()
    notes = ma.fields.String(allow_none=True)
    is_active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class SupplierIn(PartnerIn):
    pass


class SupplierOut(PartnerOut):
    pass


class CustomerIn(PartnerIn):
    credit_limit = Dec()


class CustomerOut(PartnerOut):
    credit_limit = Dec()


class PartnerListArgs(ListArgs):
    active = ma.fields.Boolean(allow_none=True, load_default=None)


_SEARCH = ("code", "name", "contact", "phone")
_SORT = ("id", "code", "name", "updated_at")

crud_resource(blp, path="/suppliers", model=Supplier, name="Supplier", in_schema=SupplierIn,
              out_schema=SupplierOut, view_perm="partner.view", write_perm="supplier.write",
              search_fields=_SEARCH, sort_fields=_SORT, unique=("code",), list_args=PartnerListArgs)
crud_resource(blp, path="/customers", model=Customer, name="Customer", in_schema=CustomerIn,
              out_schema=CustomerOut, view_perm="partner.view", write_perm="customer.write",
              search_fields=_SEARCH, sort_fields=_SORT, unique=("code",), list_args=PartnerListArgs)
