"""The importable entities: columns (export order), key, required columns, Chinese header aliases, limits,
permissions and the service commands that create and update a row."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from backend.models.catalog import Product
from backend.models.partners import Customer, Supplier
from backend.models.warehouses import Warehouse
from backend.services import catalog, crud

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IGNORED_COLUMNS = {"id", "created_at", "updated_at"}


@dataclass(frozen=True)
class Entity:
    name: str
    model: type
    key: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    view_perm: str
    write_perm: str
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    limits: dict[str, tuple[Decimal | int | None, Decimal | int | None]] = field(default_factory=dict)
    create: Callable[[dict], Any] | None = None
    update: Callable[[int, int, dict], Any] | None = None


_COMMON_ALIASES = {"name": ("名称",), "notes": ("备注",), "is_active": ("启用", "是否启用", "状态"),
                   "address": ("地址",)}
_PARTNER_ALIASES = {**_COMMON_ALIASES, "code": ("编码", "代码", "编号"), "contact": ("联系人",),
                    "phone": ("电话", "手机", "联系电话"), "email": ("邮箱", "电子邮件"), "tax_id": ("税号",),
                    "payment_terms_days": ("账期", "账期天数"), "credit_limit": ("信用额度",),
                    "name": ("名称", "供应商名称", "客户名称")}
_PARTNER_COLS = ("code", "name", "contact", "phone", "email", "address", "tax_id", "payment_terms_days", "notes",
                 "is_active")


def _partner_create(model):
    return lambda data: crud.create(model, data, ("code",))


def _partner_update(model):
    return lambda obj_id, version, data: crud.update(model, obj_id, version, data, ("code",))


ENTITIES: dict[str, Entity] = {
    "products": Entity(
        "products", Product, "sku",
        ("sku", "name", "name_en", "model", "spec", "unit", "category", "purchase_price", "sale_price", "tax_rate",
         "reorder_point", "reorder_qty", "is_active", "notes", "barcodes"),
        ("sku", "name"), "product.view", "product.write",
        aliases={**_COMMON_ALIASES, "sku": ("编码", "商品编码", "货号", "sku编码"), "name": ("名称", "商品名称", "品名"),
                 "name_en": ("英文名", "英文名称"), "model": ("型号",), "spec": ("规格",), "unit": ("单位",),
                 "category": ("分类", "类别"), "purchase_price": ("进价", "采购价"), "sale_price": ("售价", "销售价"),
                 "tax_rate": ("税率",), "reorder_point": ("补货点", "安全库存"), "reorder_qty": ("补货量",),
                 "barcodes": ("条码", "条形码")},
        limits={"tax_rate": (Decimal(0), Decimal(1))},
        create=catalog.create_product, update=catalog.update_product),
    "suppliers": Entity("suppliers", Supplier, "code", _PARTNER_COLS, ("code", "name"), "partner.view",
                        "supplier.write", aliases=_PARTNER_ALIASES, limits={"payment_terms_days": (0, 3650)},
                        create=_partner_create(Supplier), update=_partner_update(Supplier)),
    "customers": Entity("customers", Customer, "code", (*_PARTNER_COLS[:-2], "credit_limit", *_PARTNER_COLS[-2:]),
                        ("code", "name"), "partner.view", "customer.write", aliases=_PARTNER_ALIASES,
                        limits={"payment_terms_days": (0, 3650)},
                        create=_partner_create(Customer), update=_partner_update(Customer)),
    "warehouses": Entity("warehouses", Warehouse, "code", ("code", "name", "address", "notes", "is_active"),
                         ("code", "name"), "warehouse.view", "warehouse.write",
                         aliases={**_COMMON_ALIASES, "code": ("编码", "仓库编码"), "name": ("名称", "仓库名称")},
                         create=_partner_create(Warehouse), update=_partner_update(Warehouse)),
}


def iter_entities() -> Iterable[Entity]:
    return ENTITIES.values()
