/** What `check` reports: one finding per line, `ok`, `warn` or `FAIL`, and the exit decision. */

export type FindingLevel = 'ok' | 'warn' | 'fail'

export interface Finding {
  readonly level: FindingLevel
  /** What was checked: `connection`, `wal_level`, `schema sales`, ... */
  readonly subject: string
  readonly detail: string
}

// Upper-case FAIL stands out in a column of lower-case words; the pad aligns the subjects.
const LABEL: Record<FindingLevel, string> = { ok: 'ok    ', warn: 'warn  ', fail: 'FAIL  ' }

export function formatFinding(f: Finding): string {
  return `${LABEL[f.level]}${f.subject}: ${f.detail}`.replace(/[\r\n]+/g, ' ')
}

export const ok = (subject: string, detail: string): Finding => ({ level: 'ok', subject, detail })
export const warn = (subject: string, detail: string): Finding => ({ level: 'warn', subject, detail })
export const fail = (subject: string, detail: string): Finding => ({ level: 'fail', subject, detail })

/**
 * A finding about logical replication: it blocks a run only when streams default to LOG_BASED
 * (`check` has no catalog, so other streams' methods are unknown to it); else it is a warning.
 */
export function replicationFinding(required: boolean, subject: string, detail: string): Finding {
  return required ? fail(subject, detail) : warn(subject, detail)
}

/** A sync could run when nothing failed. */
export function allPassed(findings: readonly Finding[]): boolean {
  return findings.every((f) => f.level !== 'fail')
}
