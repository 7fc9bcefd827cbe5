"""Texts of notifications and bot messages, zh-CN and en (the user's ``locale``; bots: ``BOT_LOCALE``)."""
from __future__ import annotations

DOC_NAMES = {
    "purchase_order": ("采购单", "Purchase order"), "sales_order": ("销售单", "Sales order"),
    "adjustment": ("调整单", "Adjustment"), "stocktake": ("盘点单", "Stocktake"),
    "transfer": ("调拨单", "Transfer"), "expense": ("费用单", "Expense"),
}
VERDICTS = {
    "approved": ("已通过", "approved"), "rejected": ("被驳回", "rejected"), "recount": ("被退回重盘", "sent back to recount"),
    "receive": ("可以收货", "ready to receive"), "ship": ("可以发货", "ready to ship"),
}
# kind → ((zh title, zh body), (en title, en body)); {doc} {number} {amount} {verdict} {type} {code} {message}
TEXTS = {
    "approval_pending": (("待您审批：{doc} {number}", "{doc} {number}{amount} 等待您审批。"),
                         ("Waiting for you: {doc} {number}", "{doc} {number}{amount} waits for your approval.")),
    "decided": (("{doc} {number} {verdict}", "您提交的{doc} {number}{amount} {verdict}。"),
                ("{doc} {number} {verdict}", "Your {doc} {number}{amount} was {verdict}.")),
    "ready": (("{doc} {number} {verdict}", "{doc} {number} 已就绪，{verdict}。"),
              ("{doc} {number} {verdict}", "{doc} {number} is {verdict}.")),
    "sync_rejected": (("同步操作被拒绝：{type}", "[{code}] {message}"),
                      ("A sync operation was refused: {type}", "[{code}] {message}")),
    "low_stock": (("低库存提醒：{n} 个商品", "{lines}"), ("Low stock: {n} products", "{lines}")),
}


def _en(locale: str | None) -> bool:
    return (locale or "zh-CN").lower().startswith("en")


def doc_name(doc_type: str, locale: str | None) -> str:
    zh, en = DOC_NAMES.get(doc_type, (doc_type, doc_type))
    return en if _en(locale) else zh


def text(kind: str, locale: str | None, **values) -> tuple[str, str]:
    """(title, body) of a notification ``kind`` in ``locale``."""
    i = 1 if _en(locale) else 0
    if "verdict" in values:
        values["verdict"] = VERDICTS[values["verdict"]][i]
    title, body = TEXTS[kind][i]
    values.setdefault("amount", "")
    return title.format(**values), body.format(**values)
