"""Group-bot messages: the body a webhook marked ``wecom`` / ``dingtalk`` / ``feishu`` receives instead of the
signed JSON event — the event as a markdown message in that bot's format (the webhook outbox delivers it).

* WeCom (企业微信群机器人): ``{"msgtype": "markdown", "markdown": {"content": …}}``
* DingTalk (钉钉自定义机器人): ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``
* Feishu / Lark (飞书自定义机器人): ``{"msg_type": "interactive", "card": {"header": …, "elements":
  [{"tag": "markdown", "content": …}]}}``

Texts in ``BOT_LOCALE`` (default zh-CN). Amounts that are costs (purchase, stock documents) are left out:
a group chat is not a ``cost.view`` audience. A link to the document is added when ``PUBLIC_BASE_URL`` is set.
"""
from __future__ import annotations

import json

from backend.extensions import db
from backend.services.notifications.events import COST_DOCS, DOCS
from backend.services.notifications.texts import doc_name
from backend.services.webhooks.settings import setting

ACTIONS = {"submit": ("已提交", "submitted"), "approve": ("已审批", "approved"), "reject": ("已驳回", "rejected"),
           "ship": ("已发出", "shipped"), "receive": ("已收货", "received"), "resolve": ("差异已处理", "settled"),
           "recount": ("退回重盘", "sent back to recount"), "cancel": ("已取消", "cancelled"),
           "create": ("已创建", "created"), "close": ("已关闭", "closed")}
LABELS = {"who": ("操作人", "By"), "status": ("状态", "Status"), "amount": ("金额", "Amount"),
          "at": ("时间", "At"), "open": ("打开单据", "Open")}


def _lines(payload: dict, en: bool) -> tuple[str, list[str], str | None]:
    """(title, markdown lines, link) of a webhook event payload."""
    i = 1 if en else 0
    entity, action = payload.get("entity"), payload.get("action") or ""
    actor = (payload.get("actor") or {}).get("username") or "system"
    verb = ACTIONS.get(action, (action, action))[i]
    lines = [f"{LABELS['who'][i]}: {actor}"]
    link = None
    if entity in DOCS:
        doc_type, model, amount_of, route = DOCS[entity]
        doc = db.session.get(model, int(payload.get("entity_id") or 0))
        number = doc.number if doc is not None else payload.get("entity_id")
        title = f"{doc_name(doc_type, 'en' if en else 'zh-CN')} {number} {verb}"
        if doc is not None:
            lines.append(f"{LABELS['status'][i]}: {doc.status}")
            if doc_type not in COST_DOCS:
                lines.append(f"{LABELS['amount'][i]}: {amount_of(doc):,.2f}")
            base = setting("PUBLIC_BASE_URL", "") or ""
            link = f"{base.rstrip('/')}{route.format(id=doc.id)}" if base else None
    else:
        title = f"{payload.get('event')}"
    if payload.get("occurred_at"):
        lines.append(f"{LABELS['at'][i]}: {payload['occurred_at'][:19].replace('T', ' ')} UTC")
    return title, lines, link


def refusal(answer: str | None) -> str | None:
    """The bot's own error in a 200 answer (``errcode`` of WeCom/DingTalk, ``code``/``StatusCode`` of
    Feishu), or None when it took the message."""
    try:
        data = json.loads(answer or "{}")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in ("errcode", "code", "StatusCode"):
        if data.get(key) not in (None, 0, "0"):
            return f"bot refused: {data.get(key)} {data.get('errmsg') or data.get('msg') or ''}".strip()[:500]
    return None


def message(fmt: str, payload: dict) -> dict:
    """The JSON body for the bot format ``fmt`` (wecom | dingtalk | feishu)."""
    en = str(setting("BOT_LOCALE", "zh-CN")).lower().startswith("en")
    title, lines, link = _lines(payload, en)
    more = f"\n\n[{LABELS['open'][1 if en else 0]}]({link})" if link else ""
    if fmt == "wecom":
        body = "\n".join(f"> {ln}" for ln in lines)
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}{more}"}}
    if fmt == "dingtalk":
        body = "\n".join(f"- {ln}" for ln in lines)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n\n{body}{more}"}}
    if fmt == "feishu":
        body = "\n".join(lines)
        return {"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": title}},
            "elements": [{"tag": "markdown", "content": f"{body}{more}"}]}}
    raise ValueError(f"unknown bot format {fmt!r}")
