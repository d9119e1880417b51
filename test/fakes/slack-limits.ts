/**
 * Slack's message limits as the real Web API enforces them, with the error codes it answers.
 * Used by the fake Slack API so a formatter that oversteps a limit fails in tests as it would in
 * production. Sources: docs.slack.dev reference for chat.postMessage and the Block Kit reference.
 */

export const SLACK_LIMITS = {
  textChars: 40_000,
  blocksPerMessage: 50,
  sectionTextChars: 3_000,
  sectionFields: 10,
  sectionFieldChars: 2_000,
  headerTextChars: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonTextChars: 75,
  buttonValueChars: 2_000,
  actionIdChars: 255,
  blockIdChars: 255,
} as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string | undefined {
  return isObj(v) && typeof v.text === 'string' ? v.text : undefined;
}

/** Returns Slack's error code for the first problem in `blocks`, or undefined when they are valid. */
export function blocksProblem(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) return 'invalid_blocks';
  for (const block of blocks) {
    if (!isObj(block) || typeof block.type !== 'string') return 'invalid_blocks';
    if (typeof block.block_id === 'string' && block.block_id.length > SLACK_LIMITS.blockIdChars) return 'invalid_blocks';
    switch (block.type) {
      case 'section': {
        const text = textOf(block.text);
        const fields = block.fields;
        if (text === undefined && !Array.isArray(fields)) return 'invalid_blocks';
        if (text !== undefined && (text.length === 0 || text.length > SLACK_LIMITS.sectionTextChars)) return 'invalid_blocks';
        if (Array.isArray(fields)) {
          if (fields.length > SLACK_LIMITS.sectionFields) return 'invalid_blocks';
          for (const f of fields) {
            const t = textOf(f);
            if (t === undefined || t.length === 0 || t.length > SLACK_LIMITS.sectionFieldChars) return 'invalid_blocks';
          }
        }
        break;
      }
      case 'header': {
        const text = textOf(block.text);
        if (text === undefined || text.length === 0 || text.length > SLACK_LIMITS.headerTextChars) return 'invalid_blocks';
        break;
      }
      case 'context': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > SLACK_LIMITS.contextElements) return 'invalid_blocks';
        for (const e of elements) {
          const t = textOf(e);
          if (t !== undefined && (t.length === 0 || t.length > SLACK_LIMITS.sectionTextChars)) return 'invalid_blocks';
        }
        break;
      }
      case 'actions': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > SLACK_LIMITS.actionsElements) return 'invalid_blocks';
        for (const e of elements) {
          if (!isObj(e)) return 'invalid_blocks';
          const t = textOf(e.text);
          if (e.type === 'button' && (t === undefined || t.length === 0 || t.length > SLACK_LIMITS.buttonTextChars)) return 'invalid_blocks';
          if (typeof e.value === 'string' && e.value.length > SLACK_LIMITS.buttonValueChars) return 'invalid_blocks';
          if (typeof e.action_id === 'string' && e.action_id.length > SLACK_LIMITS.actionIdChars) return 'invalid_blocks';
        }
        break;
      }
      case 'divider':
        break;
      case 'rich_text':
        break;
      default:
        return 'invalid_blocks';
    }
  }
  return undefined;
}

/** Slack's error for a message with this text and blocks, or undefined when it would be accepted. */
export function messageProblem(text: unknown, blocks: unknown): string | undefined {
  const hasText = typeof text === 'string' && text.length > 0;
  if (!hasText && blocks === undefined) return 'no_text';
  if (typeof text === 'string' && text.length > SLACK_LIMITS.textChars) return 'msg_too_long';
  if (blocks !== undefined) return blocksProblem(blocks);
  return undefined;
}
