/**
 * The limits the fake Discord API enforces, as Discord documents them ("Create Message", "Embed
 * Limits", "Rate Limits"): message size checks answering 400 / 50035 (Invalid Form Body), and
 * per-channel and global write buckets answering 429 with Retry-After and X-RateLimit-* headers.
 */

export const LIMITS = { content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, embedTotal: 6000, rows: 5, perRow: 5, customId: 100, label: 80 } as const;

interface Embed {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
}

interface Row {
  components?: { custom_id?: string; label?: string }[];
}

/** Problems with a message body (empty list: Discord would take it). `hasFiles`: attachments count as content. */
export function messageProblems(body: Record<string, unknown>, opts: { partial?: boolean; hasFiles?: boolean } = {}): string[] {
  const problems: string[] = [];
  const content = body.content;
  if (content !== undefined && content !== null && (typeof content !== 'string' || content.length > LIMITS.content)) problems.push(`content: must be 2000 or fewer in length (${String(content).length})`);
  const embeds = (body.embeds ?? []) as Embed[];
  if (embeds.length > LIMITS.embeds) problems.push('embeds: at most 10');
  let total = 0;
  for (const [i, e] of embeds.entries()) {
    const fields = e.fields ?? [];
    if ((e.title?.length ?? 0) > LIMITS.title) problems.push(`embeds.${i}.title: over 256`);
    if ((e.description?.length ?? 0) > LIMITS.description) problems.push(`embeds.${i}.description: over 4096 (${e.description?.length})`);
    if (fields.length > LIMITS.fields) problems.push(`embeds.${i}.fields: over 25`);
    for (const [j, f] of fields.entries()) {
      if (!f.name || f.name.length > LIMITS.fieldName) problems.push(`embeds.${i}.fields.${j}.name: empty or over 256`);
      if (!f.value || f.value.length > LIMITS.fieldValue) problems.push(`embeds.${i}.fields.${j}.value: empty or over 1024`);
    }
    if ((e.footer?.text.length ?? 0) > LIMITS.footer) problems.push(`embeds.${i}.footer: over 2048`);
    total += (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + fields.reduce((n, f) => n + (f.name?.length ?? 0) + (f.value?.length ?? 0), 0);
  }
  if (total > LIMITS.embedTotal) problems.push(`embeds: ${total} characters in all, over 6000`);
  const rows = (body.components ?? []) as Row[];
  if (rows.length > LIMITS.rows) problems.push('components: at most 5 action rows');
  for (const [i, r] of rows.entries()) {
    const comps = r.components ?? [];
    if (comps.length > LIMITS.perRow) problems.push(`components.${i}: at most 5 components`);
    for (const c of comps) {
      if ((c.custom_id?.length ?? 0) > LIMITS.customId) problems.push(`components.${i}: custom_id over 100`);
      if ((c.label?.length ?? 0) > LIMITS.label) problems.push(`components.${i}: label over 80`);
    }
  }
  const empty = (typeof content !== 'string' || content === '') && embeds.length === 0 && rows.length === 0 && !opts.hasFiles;
  if (empty && !opts.partial) problems.push('empty message');
  return problems;
}

interface ModalPart {
  type?: number;
  label?: string;
  description?: string;
  component?: { type?: number; custom_id?: string; style?: number; value?: string; max_length?: number; label?: string };
}

/**
 * Problems with a modal (interaction response type 9), as Discord checks them: custom_id 1-100,
 * title 1-45, 1-5 components; each a Label (type 18: label 1-45, description up to 100) holding a
 * text input (type 4: custom_id 1-100, style 1 or 2, no label of its own, value and max_length up
 * to 4,000), or a deprecated action row of one text input.
 */
export function modalProblems(data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const id = data.custom_id;
  if (typeof id !== 'string' || id.length < 1 || id.length > LIMITS.customId) problems.push('custom_id: 1 to 100 characters');
  const title = data.title;
  if (typeof title !== 'string' || title.length < 1 || title.length > 45) problems.push('title: 1 to 45 characters');
  const parts = (Array.isArray(data.components) ? data.components : []) as ModalPart[];
  if (parts.length < 1 || parts.length > 5) problems.push('components: 1 to 5');
  const ids = new Set<string>();
  for (const [i, p] of parts.entries()) {
    const input = p.type === 18 ? p.component : p.type === 1 ? (p as { components?: ModalPart['component'][] }).components?.[0] : undefined;
    if (!input || input.type !== 4) {
      problems.push(`components.${i}: a label (18) or action row (1) holding a text input (4)`);
      continue;
    }
    if (p.type === 18 && (typeof p.label !== 'string' || p.label.length < 1 || p.label.length > 45)) problems.push(`components.${i}.label: 1 to 45 characters`);
    if (p.type === 18 && input.label !== undefined) problems.push(`components.${i}.component.label: not allowed in a label`);
    if ((p.description?.length ?? 0) > 100) problems.push(`components.${i}.description: over 100`);
    if (!input.custom_id || input.custom_id.length > LIMITS.customId || ids.has(input.custom_id)) problems.push(`components.${i}: custom_id missing, over 100 or repeated`);
    ids.add(input.custom_id ?? '');
    if (input.style !== 1 && input.style !== 2) problems.push(`components.${i}: style 1 or 2`);
    if ((input.value?.length ?? 0) > 4000 || (input.max_length ?? 0) > 4000) problems.push(`components.${i}: value or max_length over 4000`);
  }
  return problems;
}

/** A fixed-window bucket per key (a channel), like Discord's per-route buckets. */
export class WindowBuckets {
  private readonly windows = new Map<string, { start: number; used: number }>();
  constructor(
    readonly limit: number,
    readonly perMs: number,
  ) {}

  /** Takes one from `key`'s bucket: remaining and reset, or the wait when it is empty. */
  take(key: string, now: number): { ok: true; remaining: number; resetAfterMs: number } | { ok: false; retryAfterMs: number } {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.perMs) {
      w = { start: now, used: 0 };
      this.windows.set(key, w);
    }
    const resetAfterMs = w.start + this.perMs - now;
    if (w.used >= this.limit) return { ok: false, retryAfterMs: resetAfterMs };
    w.used += 1;
    return { ok: true, remaining: this.limit - w.used, resetAfterMs };
  }
}
