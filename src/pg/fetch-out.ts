/**
 * The rows of a cursor (`DECLARE ... CURSOR FOR <select>` with bound parameters, then `FETCH
 * FORWARD n` until a short page), read off the socket like COPY (socket-rows.ts) and written as
 * COPY text rows, so the renderer that reads COPY reads these too and both give the same bytes.
 *
 * Why a cursor: a SQL cursor is planned for its first rows (`cursor_tuple_fraction`), so an
 * INCREMENTAL read walks the replication key's index where COPY's plan, chosen for total cost,
 * may sort (temporary files on the server); and its bookmark is a bound parameter, where COPY
 * takes no parameters. A protocol-level portal (pg-cursor) is planned like COPY. README
 * "Performance" has the measurements.
 */
import type pg from 'pg'
import { type RowRanges, SocketRows } from './socket-rows.js'
import type { CursorStatements } from './sql.js'

const DATA_ROW = 0x44 // D
const COMMAND_COMPLETE = 0x43 // C
const BACKSLASH = 0x5c

/**
 * The escape letter COPY writes after a backslash for each byte below 0x20 it escapes (0 for the
 * bytes it writes as they are), and for the backslash itself: the renderer then sees the bytes
 * COPY would have sent.
 */
const ESCAPE = new Uint8Array(256)
ESCAPE[0x08] = 0x62 // \b
ESCAPE[0x09] = 0x74 // \t
ESCAPE[0x0a] = 0x6e // \n
ESCAPE[0x0b] = 0x76 // \v
ESCAPE[0x0c] = 0x66 // \f
ESCAPE[0x0d] = 0x72 // \r
ESCAPE[BACKSLASH] = BACKSLASH

/**
 * DataRow payloads (`int16` field count, then per field an `int32` length, -1 for NULL, and the
 * value's text) as COPY text rows: fields separated by tabs, NULL as `\N`, and backslash, tab,
 * newline, carriage return, backspace, form feed and vertical tab escaped as COPY escapes them.
 */
export function dataRowsAsCopyText(
  buf: Buffer,
  starts: readonly number[],
  ends: readonly number[],
): RowRanges {
  // At most two bytes out for each byte of a value, and `\N` (2) for a NULL's length (4).
  let size = 0
  for (let r = 0; r < starts.length; r++) size += 2 * (ends[r] - starts[r])
  const out = Buffer.allocUnsafe(size)
  const outStarts: number[] = []
  const outEnds: number[] = []
  let o = 0
  for (let r = 0; r < starts.length; r++) {
    let p = starts[r]
    const fields = buf.readUInt16BE(p)
    p += 2
    outStarts.push(o)
    for (let f = 0; f < fields; f++) {
      if (f > 0) out[o++] = 0x09
      const length = buf.readInt32BE(p)
      p += 4
      if (length < 0) {
        out[o++] = BACKSLASH
        out[o++] = 0x4e // N
        continue
      }
      const end = p + length
      for (; p < end; p++) {
        const b = buf[p]
        const e = ESCAPE[b]
        if (e === 0) {
          out[o++] = b
        } else {
          out[o++] = BACKSLASH
          out[o++] = e
        }
      }
    }
    outEnds.push(o)
  }
  return { buf: out, count: starts.length, starts: outStarts, ends: outEnds }
}

export class FetchOut extends SocketRows {
  constructor(text: string) {
    // The driver reads CommandComplete and ReadyForQuery, which end the query for pg.
    super(text, { row: DATA_ROW, end: COMMAND_COMPLETE, endToDriver: true })
  }

  protected rowsOf(buf: Buffer, starts: number[], ends: number[]): RowRanges {
    return dataRowsAsCopyText(buf, starts, ends)
  }
}

/** Runs `FETCH ...` (`sql`) on `client`. */
export function fetchOut(client: pg.Client, sql: string): FetchOut {
  return client.query(new FetchOut(sql) as unknown as pg.Submittable) as unknown as FetchOut
}

/**
 * The cursor's rows, page after page, inside the caller's transaction (which closes the cursor).
 * `stopped` is asked before each next page: after a stop or a failure nothing more is fetched.
 */
export async function* cursorRows(
  client: pg.Client,
  read: CursorStatements,
  stopped: () => boolean,
): AsyncGenerator<RowRanges> {
  await client.query({ text: read.declare.text, values: [...read.declare.values] })
  for (;;) {
    const page = fetchOut(client, read.fetch)
    yield* page.rows()
    if (page.rowCount < read.pageRows || stopped()) return
  }
}
