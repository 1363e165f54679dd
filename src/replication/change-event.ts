/**
 * A decoded logical-decoding message, whichever output plugin sent it (wal2json.ts, pgoutput.ts):
 * what src/replication/change-records.ts turns into Singer records. Values are the PostgreSQL text
 * output of each type, exactly what a table read gets for the same value, so one renderer
 * (src/values) serves every method.
 */

/** A column list: names and values in the same order. */
export interface ChangeTuple {
  readonly names: readonly string[]
  /** PostgreSQL text of each value; null for SQL NULL. */
  readonly values: ReadonlyArray<string | null>
}

export type ChangeEvent =
  | {
      readonly action: 'B'
      /** The transaction's commit time as timestamptz text (`2026-11-25 13:42:46.82744+00`). */
      readonly timestamp: string | undefined
      /** wal2json with include-lsn: the commit end (end of the commit record), as `X/Y`. */
      readonly nextLsn: string | undefined
      /** pgoutput: where the transaction's commit record starts (its Begin's final LSN). */
      readonly commitLsn?: bigint
    }
  | {
      readonly action: 'C'
      readonly timestamp: string | undefined
      readonly nextLsn: string | undefined
    }
  | {
      readonly action: 'I' | 'U'
      readonly schema: string
      readonly table: string
      readonly timestamp: string | undefined
      /** The new row. For U, unchanged TOAST columns are absent. */
      readonly columns: ChangeTuple
      /** U only, when the key changed or REPLICA IDENTITY FULL: the old key (or row). */
      readonly identity: ChangeTuple | undefined
    }
  | {
      readonly action: 'D'
      readonly schema: string
      readonly table: string
      readonly timestamp: string | undefined
      /** The replica identity columns of the deleted row (all columns with REPLICA IDENTITY FULL). */
      readonly identity: ChangeTuple
    }
  /** TRUNCATE of one table (a multi-table TRUNCATE gives one per table, in the same transaction). */
  | {
      readonly action: 'T'
      readonly schema: string
      readonly table: string
      readonly timestamp: string | undefined
    }
  /** Messages the pipeline has no use for (logical messages, relation and type descriptions). */
  | { readonly action: 'other'; readonly kind: string }

export type RowChangeEvent = Extract<ChangeEvent, { action: 'I' | 'U' | 'D' }>
export type TruncateEvent = Extract<ChangeEvent, { action: 'T' }>
