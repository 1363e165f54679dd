/**
 * The lexical shape of an operator's SQL row-filter clause (stream_options custom_where_clauses),
 * checked before it is spliced into `WHERE (<clause>\n)`. The clauses are trusted config (run as
 * the tap's role), so this is not a sanitizer: it keeps a clause from changing the statement
 * around it by accident, i.e. it must be one parenthesis-balanced expression with no `;`.
 *
 * - `a) OR (b` would turn `WHERE (a) OR (b) AND <chunk range>` into a different filter: a clause
 *   may not close a parenthesis it did not open, nor leave one open.
 * - `;` outside literals and comments would end the statement: the COPY of a table read goes
 *   out as a simple query, where a second statement would run.
 * - an unterminated literal, quoted name or block comment would swallow the rest of the statement.
 * - `$1` would take the tap's own parameter (the bookmark) in a bound query, and fails in a COPY,
 *   which has none.
 * The server parses the clauses once more before any read (sync/check-row-filters.ts), with the
 * extended protocol, which refuses a second statement whatever this scanner saw.
 *
 * Lexing follows PostgreSQL's scanner with standard_conforming_strings on (the default since 9.1):
 * '...' ('' inside), E'...' (backslash escapes), "..." ("" inside), $tag$...$tag$, `--` to the end
 * of the line, nested block comments.
 */

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/

/** Why `clause` cannot stand as one expression inside `WHERE (...)`, or undefined when it can. */
export function clauseShapeProblem(clause: string): string | undefined {
  if (clause.trim() === '') return 'is empty'
  if (clause.includes('\u0000')) return 'contains a NUL character'
  let depth = 0
  let i = 0
  const n = clause.length
  while (i < n) {
    const c = clause[i]
    const next = clause[i + 1]
    if (c === "'") {
      const prev = clause[i - 1]
      const escapes = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(clause[i - 2] ?? ' ')
      const end = quotedEnd(clause, i, "'", escapes)
      if (end < 0) return 'has an unterminated string literal'
      i = end
    } else if (c === '"') {
      const end = quotedEnd(clause, i, '"', false)
      if (end < 0) return 'has an unterminated quoted identifier'
      i = end
    } else if (c === '$' && !IDENT_CHAR.test(clause[i - 1] ?? ' ')) {
      // The tap's queries bind their own parameters: a `$1` would take the bookmark's value.
      if (/[0-9]/.test(next ?? ''))
        return `contains a parameter ${/^\$[0-9]+/.exec(clause.slice(i))?.[0]} (a clause takes no parameters: write the value)`
      const tag = DOLLAR_TAG.exec(clause.slice(i))
      if (tag === null) {
        i++
        continue
      }
      const close = clause.indexOf(tag[0], i + tag[0].length)
      if (close < 0) return 'has an unterminated dollar-quoted string'
      i = close + tag[0].length
    } else if (c === '-' && next === '-') {
      const nl = clause.indexOf('\n', i)
      i = nl < 0 ? n : nl + 1
    } else if (c === '/' && next === '*') {
      const end = blockCommentEnd(clause, i)
      if (end < 0) return 'has an unterminated /* comment'
      i = end
    } else {
      if (c === ';') return 'contains ";" (a clause is one boolean expression, not statements)'
      if (c === '(') depth++
      if (c === ')' && --depth < 0) return 'closes a parenthesis it did not open'
      i++
    }
  }
  if (depth > 0) return 'leaves a parenthesis open'
  return undefined
}

/** The index after the closing quote of the literal or name opening at `start`, or -1. */
function quotedEnd(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1
  while (i < text.length) {
    const c = text[i]
    if (backslashEscapes && c === '\\') {
      i += 2
    } else if (c === quote) {
      if (text[i + 1] !== quote) return i + 1
      i += 2
    } else {
      i++
    }
  }
  return -1
}

/** The index after the `*\/` closing the (nested) block comment opening at `start`, or -1. */
function blockCommentEnd(text: string, start: number): number {
  let depth = 0
  let i = start
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++
      i += 2
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--
      i += 2
      if (depth === 0) return i
    } else {
      i++
    }
  }
  return -1
}
