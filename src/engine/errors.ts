/**
 * Errors a user of the engine can meet, each with a stable code and a fix. Fronts show
 * `message` as is; they branch on `code`, never on the text.
 */
export type EngineErrorCode =
  | 'UNKNOWN_WORKFLOW'
  | 'INVALID_INPUTS'
  | 'UNKNOWN_RUN'
  | 'CONCURRENCY_HELD'
  | 'NOT_AN_APPROVAL'
  | 'NO_WAITING_APPROVAL'
  | 'BAD_EXPRESSION'
  | 'SECRET_KEY'
  | 'SECRET_MISSING'
  | 'BAD_RUN_ID'
  | 'RUN_ID_TAKEN'
  | 'POLICY_LOCKED';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** Extra facts for fronts: the invalid inputs, the holder of a lock, … */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}
