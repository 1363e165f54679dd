/**
 * `COPY ... TO STDOUT` on a pg.Client, read without copying (socket-rows.ts): PostgreSQL sends one
 * CopyData message per text row, handed over in place as the row ranges of the socket's chunk, so
 * no buffer is allocated per row or per chunk (pg-copy-streams concatenates every chunk's payloads
 * into a new Buffer).
 */
import type pg from 'pg'
import { type RowRanges, SocketRows } from './socket-rows.js'

export type { RowRanges } from './socket-rows.js'

const COPY_DATA = 0x64 // d
const COPY_DONE = 0x63 // c
const NEWLINE = 0x0a

export class CopyOut extends SocketRows {
  constructor(text: string) {
    // After CopyDone the driver reads CommandComplete and ReadyForQuery.
    super(text, { row: COPY_DATA, end: COPY_DONE, endToDriver: false })
  }

  protected rowsOf(buf: Buffer, starts: number[], ends: number[]): RowRanges {
    // A text row ends in '\n', which the renderer does not want.
    for (let i = 0; i < ends.length; i++) if (buf[ends[i] - 1] === NEWLINE) ends[i]--
    return { buf, count: starts.length, starts, ends }
  }
}

/** Starts `COPY ... TO STDOUT` (`sql`) on `client`. */
export function copyOut(client: pg.Client, sql: string): CopyOut {
  return client.query(new CopyOut(sql) as unknown as pg.Submittable) as unknown as CopyOut
}
