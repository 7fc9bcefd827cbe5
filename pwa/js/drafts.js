/**
 * Work in progress that survives leaving the screen, a reload, the app being killed or a dead battery
 * (issue 14 §3): every scan is written to IndexedDB as it happens (`meta` store, one row per user, screen
 * and document: `draft:<user>:<screen>:<id>`), read back when the screen opens, and removed only when the
 * work is handed to the outbox or the user taps **Discard**. The `meta` store is kept at logout on purpose
 * (like the outbox): a draft belongs to the user who made it and comes back when they sign in again.
 */
import * as db from './db.js';
import { session } from './session.js';

const key = (screen, id) => `draft:${session.me ? session.me.id : 'anon'}:${screen}:${id ?? 'new'}`;
const chains = new Map();

/** The saved draft `{lines, extra, at}` of a screen/document, or null. */
export async function load(screen, id) {
  const row = await db.getMeta(key(screen, id));
  return row && typeof row === 'object' ? row : null;
}

/** Save the draft now (writes are chained per key so a later save never lands before an earlier one). */
export function save(screen, id, value) {
  const k = key(screen, id);
  const next = (chains.get(k) || Promise.resolve()).then(() => db.setMeta(k, { ...value, at: Date.now() })).catch(() => {});
  chains.set(k, next);
  return next;
}

/** Forget the draft (submitted or discarded). */
export async function drop(screen, id) {
  const k = key(screen, id);
  await (chains.get(k) || Promise.resolve());
  chains.delete(k);
  await db.del('meta', k);
}
