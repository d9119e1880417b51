/** Exit codes scripts can rely on (FORMATS.md, "Command line"). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** `status` of a run that does not exist. */
  unknownRun: 2,
  cancelled: 130,
} as const;
