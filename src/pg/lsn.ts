/**
 * Log sequence numbers. PostgreSQL prints an LSN as two hexadecimal 32-bit halves, `X/Y`
 * (https://www.postgresql.org/docs/15/datatype-pg-lsn.html), without zero padding: `0/30FE5300` and
 * `16/B374D848` are both normal. Comparing that text as a string is wrong (`0/9` > `0/10`), and a JS
 * number cannot hold 64 bits, so every LSN inside the tap is a bigint; text appears only at the edges
 * (SQL results, the replication protocol library, logs).
 *
 * Singer state keeps an LSN as a JSON integer (pipelinewise format, docs/behaviour.md#state):
 * `lsnFromState` reads it, and the tap's own JSON writer (src/singer/json.ts) prints the bigint with
 * every digit. See docs/lsn-and-state.md for what each LSN means.
 */

export type Lsn = bigint

export const MAX_LSN: Lsn = 0xffff_ffff_ffff_ffffn

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/

/** `X/Y` → bigint. Throws on anything else (the server never sends other shapes). */
export function parseLsn(text: string): Lsn {
  // Hot path (every replication message): below 2^53 (every real server) one exact Number and one
  // BigInt; the regex keeps the strictness.
  if (LSN_TEXT.test(text)) {
    const slash = text.indexOf('/')
    const hi = parseInt(text.slice(0, slash), 16)
    if (hi < 0x200000) return BigInt(hi * 0x1_0000_0000 + parseInt(text.slice(slash + 1), 16))
  }
  const m = LSN_TEXT.exec(text)
  if (m === null) throw new RangeError(`not an LSN: ${JSON.stringify(text)}`)
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}

/** bigint → `X/Y` in PostgreSQL's own spelling (upper case, no padding). */
export function formatLsn(lsn: Lsn): string {
  assertLsn(lsn)
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`
}

function assertLsn(lsn: Lsn): void {
  if (lsn < 0n || lsn > MAX_LSN) throw new RangeError(`LSN out of range: ${lsn}`)
}

/**
 * A state bookmark's `lsn` → bigint. pipelinewise writes a JSON integer; a reader that parsed the
 * state losslessly may hand us a bigint or the digits as a string; an `X/Y` string is accepted too.
 * Returns undefined for anything that is not an LSN (the caller decides whether that is an error).
 */
export function lsnFromState(value: unknown): Lsn | undefined {
  let out: bigint | undefined
  if (typeof value === 'bigint') out = value
  else if (typeof value === 'number' && Number.isSafeInteger(value)) out = BigInt(value)
  else if (typeof value === 'string' && /^\d{1,20}$/.test(value)) out = BigInt(value)
  else if (typeof value === 'string' && LSN_TEXT.test(value)) out = parseLsn(value)
  if (out === undefined || out < 0n || out > MAX_LSN) return undefined
  return out
}

/** The smallest of the LSNs given; undefined ones (a bookmark without an LSN yet) are passed over. */
export function smallestLsn(lsns: Iterable<Lsn | undefined>): Lsn | undefined {
  let out: Lsn | undefined
  for (const l of lsns) if (l !== undefined && (out === undefined || l < out)) out = l
  return out
}
