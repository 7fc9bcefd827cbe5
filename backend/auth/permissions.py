"""Roles are named sets of permissions; code checks permissions, never role names."""
from __future__ import annotations

from functools import lru_cache

# Every permission the product knows. Later features add permissions here, not role checks.
PERMISSIONS: dict[str, str] = {
    "product.view": "View products, barcodes and prices",
    "product.write": "Create and edit products and prices",
    "barcode.write": "Assign barcodes to products",
    "partner.view": "View suppliers and customers",
    "supplier.write": "Create and edit suppliers",
    "customer.write": "Create and edit customers",
    "warehouse.view": "View warehouses and locations",
    "warehouse.write": "Create and edit warehouses and locations",
    "scan.decode": "Decode barcode photos",
    "label.print": "Print product labels",
    "purchase.view": "View purchase orders",
    "purchase.create": "Create, edit and submit purchase orders",
    "purchase.approve": "Approve or reject purchase orders",
    "purchase.approve.high": "Second-level approval of large purchase orders",
    "purchase.receive": "Receive goods against purchase orders",
    "purchase.return": "Return goods to suppliers",
    "sales.view": "View sales orders",
    "sales.create": "Create, edit and submit sales orders",
    "sales.approve": "Approve or reject sales orders",
    "sales.approve.high": "Second-level approval of large sales orders",
    "sales.ship": "Pick and ship sales orders",
    "sales.invoice": "Issue invoices",
    "sales.return": "Take back goods from customers",
    "stock.view": "View stock levels and moves",
    "stock.adjust": "Create stock adjustments",
    "stock.adjust.approve": "Approve large stock adjustments",
    "transfer.view": "View transfers",
    "transfer.create": "Create transfers",
    "transfer.ship": "Ship transfers",
    "transfer.receive": "Receive transfers",
    "transfer.resolve": "Resolve transfer discrepancies",
    "stocktake.view": "View stocktakes",
    "stocktake.create": "Open stocktakes",
    "stocktake.count": "Count stock",
    "stocktake.approve": "Approve stocktakes",
    "finance.view": "View payables, receivables and payments",
    "finance.write": "Record payments and expenses",
    "expense.approve": "Approve expenses over the approval threshold",
    "report.view": "View reports",
    "cost.view": "See costs: purchase prices, average cost, stock value, cost of goods, margin, supplier prices",
    "audit.view": "Read the audit log",
    "user.admin": "Manage users and roles",
    "sync.push": "Push offline operations",
    "sync.manage": "Resolve anyone's rejected offline operations",
    "token.manage": "Manage own API tokens",
    "system.admin": "Backups, webhooks, imports",
}

_COMMON = {"product.view", "warehouse.view", "partner.view", "scan.decode", "sync.push", "token.manage"}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "admin": set(PERMISSIONS),
    "manager": set(PERMISSIONS) - {"user.admin", "system.admin"},
    "purchaser": _COMMON
    | {"product.write", "barcode.write", "supplier.write", "label.print", "purchase.view", "purchase.create",
       "purchase.return", "stock.view", "transfer.view", "report.view", "cost.view"},
    "warehouse": _COMMON
    | {"barcode.write", "label.print", "purchase.view", "purchase.receive", "purchase.return", "sales.view",
       "sales.ship", "sales.return", "stock.view", "stock.adjust", "transfer.view", "transfer.create",
       "transfer.ship", "transfer.receive", "stocktake.view", "stocktake.create", "stocktake.count"},
    "sales": _COMMON
    | {"customer.write", "sales.view", "sales.create", "sales.return", "stock.view", "report.view"},
    "finance": _COMMON
    | {"purchase.view", "sales.view", "sales.invoice", "stock.view", "finance.view", "finance.write",
       "report.view", "cost.view"},
}
ROLES = tuple(ROLE_PERMISSIONS)

assert all(p in PERMISSIONS for perms in ROLE_PERMISSIONS.values() for p in perms)


@lru_cache(maxsize=256)
def _perms(roles: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for r in roles:
        out |= ROLE_PERMISSIONS.get(r, set())
    return frozenset(out)


def permissions_for(roles) -> frozenset[str]:
    """Union of the permissions of ``roles``."""
    return _perms(tuple(sorted(roles)))
