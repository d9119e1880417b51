/** Redis stream ids (`MS-SEQ`) compared as numbers, as Redis orders them. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

/** A cursor a client may send back (Last-Event-ID, `after`): `0` or a stream id. */
export function isStreamId(value: string): boolean {
  return /^\d{1,20}(-\d{1,20})?$/.test(value);
}
