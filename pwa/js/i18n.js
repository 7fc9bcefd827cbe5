/**
 * UI strings in zh-CN (default) and en. One table, one row per key with both languages side by side,
 * so a string can't exist in one language only. `t(key, {n: 3})` fills `{n}`.
 */

const S = {
  'app.name': ['进销存', 'JXC Inventory'],
  'app.view_unavailable': ['此页面暂时无法打开（离线且未缓存）', 'This screen cannot be opened right now (offline and not cached)'],
  'app.tagline': ['采购 · 销售 · 库存', 'Purchasing · Sales · Stock'],
  'net.offline': ['离线 — 操作会保存在本机，联网后自动同步', 'Offline — actions are saved on this device and sync when online'],
  'err.network': ['网络不可用', 'No network'],
  'badge.queued': ['待同步 {n}', '{n} queued'],
  'badge.conflicts': ['冲突 {n} · 待同步 {q}', '{n} conflicts · {q} queued'],

  'login.username': ['用户名', 'Username'],
  'login.password': ['密码', 'Password'],
  'login.submit': ['登录', 'Log in'],
  'login.bad': ['用户名或密码错误', 'Wrong username or password'],
  'login.throttled': ['尝试次数过多，请稍后再试', 'Too many attempts, try again later'],
  'login.offline': ['离线时无法登录；已登录的用户可继续离线工作', 'You cannot log in offline; a signed-in user can keep working offline'],

  'nav.lookup': ['查询 / 扫码', 'Lookup / scan'],
  'nav.receive': ['采购收货', 'Receive PO'],
  'nav.ship': ['拣货发货', 'Pick & ship'],
  'nav.stocktake': ['盘点', 'Stocktake'],
  'nav.transfer': ['调拨', 'Transfer'],
  'nav.adjustment': ['库存调整', 'Adjustment'],
  'nav.approvals': ['待我审批', 'Approvals'],
  'nav.outbox': ['同步 / 冲突', 'Outbox / conflicts'],
  'nav.settings': ['设置', 'Settings'],

  'home.hello': ['你好，{name}', 'Hello, {name}'],
  'home.queued': ['待同步 {n} 条', '{n} queued'],
  'home.conflicts': ['冲突 {n} 条', '{n} conflicts'],
  'home.last_sync': ['上次同步 {at}', 'Last sync {at}'],

  'sync.now': ['立即同步', 'Sync now'],
  'sync.offline': ['当前离线，联网后会自动同步', 'Offline: will sync automatically when online'],
  'sync.no_endpoint': ['服务器暂不支持同步，操作已保留在本机', 'Server has no sync endpoint yet; ops are kept on this device'],

  'common.warehouse': ['仓库', 'Warehouse'],
  'common.note': ['备注', 'Note'],
  'common.note_optional': ['备注（可选）', 'Note (optional)'],
  'common.submit': ['提交', 'Submit'],
  'common.close': ['关闭', 'Close'],
  'common.back': ['返回', 'Back'],
  'common.loading': ['加载中…', 'Loading…'],
  'common.none': ['没有结果', 'No results'],
  'common.offline_results': ['离线结果（本机缓存）', 'Offline results (cached on this device)'],

  'scan.title': ['扫码', 'Scan'],
  'scan.placeholder': ['扫描或输入条码 / SKU', 'Scan or type a barcode / SKU'],
  'scan.camera': ['相机扫码', 'Scan with camera'],
  'scan.camera_failed': ['无法打开相机', 'Cannot open the camera'],
  'scan.photo': ['拍照识别', 'Photo'],
  'scan.decoding': ['正在识别…', 'Decoding…'],
  'scan.no_code': ['照片中没有识别到条码', 'No barcode found in the photo'],
  'scan.photo_offline': ['离线时无法识别照片', 'Photos cannot be decoded offline here'],
  'scan.photo_queued': ['照片将在联网后识别', 'The photo will be decoded when online'],
  'scan.unknown': ['未知条码：{code}', 'Unknown barcode: {code}'],

  'lookup.search': ['按名称、SKU、型号搜索', 'Search name, SKU, model'],
  'lookup.no_stock': ['暂无库存', 'No stock'],
  'lookup.stock_offline': ['离线：库存不可用', 'Offline: stock not available'],
  'product.sku': ['编码', 'SKU'],
  'product.model': ['型号', 'Model'],
  'product.spec': ['规格', 'Spec'],
  'product.unit': ['单位', 'Unit'],
  'product.price': ['售价', 'Price'],
  'product.barcode': ['条码', 'Barcode'],

  'lines.empty': ['扫码添加商品', 'Scan to add products'],
  'lines.none': ['没有需要提交的数量', 'Nothing to submit'],
  'lines.qty': ['数量', 'Quantity'],
  'lines.expected': ['应收/应发', 'expected'],
  'lines.to_receive': ['待收', 'to receive'],
  'lines.to_ship': ['待发', 'to ship'],
  'lines.count': ['行', 'lines'],

  'op.sent': ['已提交，正在同步', 'Submitted, syncing'],
  'op.queued_offline': ['已保存到本机，联网后同步', 'Saved on this device; will sync when online'],
  'op.last_error': ['上次失败：{msg}', 'Last attempt failed: {msg}'],
  'op.status.pending': ['待同步', 'queued'],
  'op.status.rejected': ['被拒绝', 'rejected'],
  'op.status.dismissed': ['已忽略', 'dismissed'],
  'op.status.resolved': ['已解决', 'resolved'],

  'outbox.pending': ['待同步', 'Queued'],
  'outbox.empty': ['没有待同步的操作', 'Nothing queued'],
  'conflict.title': ['冲突', 'Conflicts'],
  'conflict.help': ['服务器拒绝的操作会保留在这里，直到你处理。', 'Operations the server refused stay here until you resolve them.'],
  'conflict.none': ['没有冲突', 'No conflicts'],
  'conflict.other_device': ['来自其他设备', 'from another device'],
  'conflict.retry': ['重试（需联网）', 'Retry (online)'],
  'conflict.retried': ['已重新执行并解决', 'Applied again: resolved'],
  'conflict.dismiss': ['忽略', 'Dismiss'],
  'conflict.dismiss_confirm': ['忽略原因（此操作不会被执行）：', 'Reason for dismissing (the operation will not be applied):'],

  'adj.reason': ['原因', 'Reason'],
  'reason.damage': ['损坏（减少）', 'Damage (decrease)'],
  'reason.loss': ['丢失（减少）', 'Loss (decrease)'],
  'reason.found': ['盘盈/找到（增加）', 'Found (increase)'],
  'reason.sample': ['样品（减少）', 'Sample (decrease)'],
  'reason.opening_balance': ['期初（增加）', 'Opening balance (increase)'],
  'reason.other': ['其他', 'Other'],

  'transfer.from': ['调出仓库', 'From warehouse'],
  'transfer.to': ['调入仓库', 'To warehouse'],
  'transfer.new': ['新建调拨', 'New transfer'],
  'transfer.create': ['创建调拨单', 'Create transfer'],
  'transfer.ship': ['发出', 'Ship'],
  'transfer.ship_now': ['创建后立即发出', 'Ship right after creating'],
  'transfer.drafts': ['待发出的调拨单', 'Drafts to ship'],
  'nav.transfer_in': ['调拨收货', 'Receive transfer'],
  'status.in_transit': ['在途', 'in transit'],
  'transfer.same': ['调出与调入仓库不能相同', 'Source and destination must differ'],

  'docs.cached': ['离线：显示本机缓存的数据', 'Offline: showing data cached on this device'],
  'docs.offline_none': ['离线且没有缓存，请联网后打开一次', 'Offline and nothing cached; open this once while online'],
  'docs.none': ['没有待处理的单据', 'No open documents'],
  'docs.nothing_open': ['此单据没有未完成的行', 'No open lines on this document'],
  'docs.not_on_doc': ['{sku} 不在此单据上', '{sku} is not on this document'],
  'docs.fill_all': ['全部数量', 'Fill all'],
  'docs.over_confirm': ['有数量超过应收/应发，确定提交？', 'Some quantities exceed what is expected. Submit anyway?'],
  'receive.submit': ['确认收货', 'Receive'],
  'ship.submit': ['确认发货', 'Ship'],

  'stocktake.none': ['没有进行中的盘点', 'No stocktake is being counted'],
  'stocktake.help': ['扫码计数；每行记录计数时间，提交后累加到本次盘点。', 'Scan to count; each line keeps the time it was counted and is added to this stocktake.'],
  'stocktake.scan_to_count': ['扫码开始计数', 'Scan to start counting'],
  'stocktake.photo_item': ['照片商品', 'Photographed item'],
  'stocktake.submit': ['提交计数', 'Submit counts'],

  'approvals.none': ['没有待审批的单据', 'Nothing to approve'],
  'approvals.offline': ['审批需要联网', 'Approvals need a connection'],
  'approvals.comment': ['审批意见（驳回时必填）', 'Comment (required to reject)'],
  'approvals.reason_needed': ['驳回需要填写原因', 'A rejection needs a reason'],
  'approvals.approve': ['同意', 'Approve'],
  'approvals.reject': ['驳回', 'Reject'],
  'approvals.approved': ['已同意', 'Approved'],
  'approvals.rejected': ['已驳回', 'Rejected'],
  'approvals.level': ['第 {level}/{of} 级', 'level {level} of {of}'],
  'doc.purchase_order': ['采购单', 'Purchase order'],
  'doc.sales_order': ['销售单', 'Sales order'],
  'doc.adjustment': ['调整单', 'Adjustment'],
  'doc.stocktake': ['盘点单', 'Stocktake'],
  'doc.transfer': ['调拨单', 'Transfer'],

  'status.draft': ['草稿', 'draft'],
  'status.submitted': ['已提交', 'submitted'],
  'status.approved': ['已审批', 'approved'],
  'status.rejected': ['已驳回', 'rejected'],
  'status.partially_received': ['部分收货', 'partially received'],
  'status.received': ['已收货', 'received'],
  'status.partially_shipped': ['部分发货', 'partially shipped'],
  'status.shipped': ['已发货', 'shipped'],
  'status.counting': ['盘点中', 'counting'],
  'status.closed': ['已关闭', 'closed'],
  'status.cancelled': ['已取消', 'cancelled'],

  'settings.language': ['语言', 'Language'],
  'settings.default_warehouse': ['默认仓库', 'Default warehouse'],
  'settings.user': ['用户', 'User'],
  'settings.device': ['设备', 'Device'],
  'settings.catalog': ['离线商品库：{n} 个，更新于 {at}', 'Offline catalog: {n} products, updated {at}'],
  'settings.refresh_catalog': ['更新离线商品库', 'Refresh offline catalog'],
  'settings.catalog_done': ['已更新 {n} 个商品', '{n} products updated'],
  'settings.logout': ['退出登录', 'Log out'],
  'settings.logout_pending': ['还有 {n} 条未同步的操作，它们会保留在本机。确定退出？', '{n} operations are not synced yet; they stay on this device. Log out?'],

  // reports (pwa/js/views/reports.js)
  'nav.reports': ['报表', 'Reports'],
  'rep.tab.dashboard': ['概览', 'Dashboard'],
  'rep.tab.sales': ['销售', 'Sales'],
  'rep.tab.purchases': ['采购', 'Purchases'],
  'rep.tab.inventory': ['库存', 'Inventory'],
  'rep.tab.finance': ['财务', 'Finance'],
  'rep.from': ['开始日期', 'From'],
  'rep.to': ['结束日期', 'To'],
  'rep.as_of': ['截至日期', 'As of'],
  'rep.last_7': ['近7天', 'Last 7 days'],
  'rep.last_30': ['近30天', 'Last 30 days'],
  'rep.this_month': ['本月', 'This month'],
  'rep.view': ['视图', 'View'],
  'rep.group_by': ['分组', 'Group by'],
  'rep.group_by.day': ['按日', 'By day'],
  'rep.group_by.week': ['按周', 'By week'],
  'rep.group_by.month': ['按月', 'By month'],
  'rep.group_by.product': ['按商品', 'By product'],
  'rep.group_by.customer': ['按客户', 'By customer'],
  'rep.group_by.supplier': ['按供应商', 'By supplier'],
  'rep.group_by.category': ['按类别', 'By category'],
  'rep.group_by.warehouse': ['按仓库', 'By warehouse'],
  'rep.view.stock': ['库存与周转', 'Stock and turnover'],
  'rep.view.slow_movers': ['呆滞商品', 'Slow movers'],
  'rep.view.receivables': ['应收账龄', 'Receivables ageing'],
  'rep.view.payables': ['应付账龄', 'Payables ageing'],
  'rep.view.payments': ['收付款', 'Money in / out'],
  'rep.view.expenses': ['费用', 'Expenses'],
  'rep.download_csv': ['下载 CSV', 'Download CSV'],
  'rep.download_xlsx': ['下载 Excel', 'Download Excel'],
  'rep.offline': ['报表需要联网', 'Reports need a connection'],
  'rep.total': ['合计', 'Total'],
  'rep.revenue': ['销售额', 'Revenue'],
  'rep.margin': ['毛利', 'Margin'],
  'rep.margin_pct': ['毛利率', 'Margin'],
  'rep.today_sales': ['今日销售', 'Sales today'],
  'rep.month_sales': ['本月销售', 'Sales this month'],
  'rep.stock_value': ['库存金额', 'Stock value'],
  'rep.low_stock': ['低库存', 'Low stock'],
  'rep.open_pos': ['未完成采购单', 'Open POs'],
  'rep.open_sos': ['未完成销售单', 'Open sales orders'],
  'rep.pending_approvals': ['待我审批', 'Waiting for my approval'],
  'rep.trend_30': ['近30天销售额与毛利', 'Revenue and margin, last 30 days'],
};

export const LANGS = ['zh-CN', 'en'];
const KEY = 'jxc.lang';
let lang = (() => { try { return localStorage.getItem(KEY); } catch { return null; } })() || 'zh-CN';
if (!LANGS.includes(lang)) lang = 'zh-CN';
const listeners = new Set();

/** Current language ("zh-CN" | "en"). */
export const getLang = () => lang;

/** Translate `key`; unknown keys come back as the key itself (visible, never blank). */
export function t(key, params) {
  const row = S[key];
  let s = row ? row[lang === 'en' ? 1 : 0] : key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

/** Switch language (persisted) and notify listeners. */
export function setLang(l) {
  if (!LANGS.includes(l) || l === lang) return;
  lang = l;
  try { localStorage.setItem(KEY, l); } catch { /* private mode */ }
  applyDocumentLang();
  for (const fn of listeners) fn(l);
}

/** `<html lang>` follows the UI language (screen readers, CJK font choice). */
export function applyDocumentLang() { document.documentElement.lang = lang; }

export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** All keys (tests check that every key has both languages). */
export const KEYS = Object.keys(S);
export const TABLE = S;
