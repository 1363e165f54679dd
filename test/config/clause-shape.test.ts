/** The lexical guard on operator row-filter clauses: one balanced expression, no `;`, nothing left open. */
import { describe, expect, it } from 'vitest'
import { clauseShapeProblem } from '../../src/config/clause-shape.js'

describe('clauseShapeProblem', () => {
  it('accepts expressions whose parentheses, quotes and comments are closed', () => {
    for (const ok of [
      `status = 'paid'`,
      `(a = 1 OR b = 2) AND c IN (1, 2, (3))`,
      `note = 'it''s ) ; ('`,
      `note = E'it\\'s ) ; ('`,
      `note = e'\\\\' OR x = ')'`,
      `"we""ird ) ;" = 1`,
      `note = $$ ) ; ( $$ OR note = $tag$ $$ ; ) $tag$`,
      `a$b = 1 AND c$1 = 2`,
      `x = 1 -- ; ) comment to the end`,
      `x = 1 /* ; ) /* nested ( */ still ; */ AND y = 2`,
      `x = 1 -- first line ; )\nAND y = 2`,
    ])
      expect(clauseShapeProblem(ok), ok).toBeUndefined()
  })

  it('refuses a clause that would change the statement around it', () => {
    expect(clauseShapeProblem(`1=1) OR (true`)).toBe('closes a parenthesis it did not open')
    expect(clauseShapeProblem(`a = 1) OR (b = 2`)).toBe('closes a parenthesis it did not open')
    expect(clauseShapeProblem(`(a = 1`)).toBe('leaves a parenthesis open')
    expect(clauseShapeProblem(`true; DROP TABLE x`)).toMatch(/^contains ";"/)
    expect(clauseShapeProblem(`true) TO STDOUT; SELECT (1`)).toBe('closes a parenthesis it did not open')
    expect(clauseShapeProblem(`note = 'open`)).toBe('has an unterminated string literal')
    // In a plain literal a backslash is an ordinary character, so the quote after it closes it.
    expect(clauseShapeProblem(`note = '\\' OR x = ';'`)).toBeUndefined()
    expect(clauseShapeProblem(`note = E'\\' OR x = 1`)).toBe('has an unterminated string literal')
    expect(clauseShapeProblem(`"open = 1`)).toBe('has an unterminated quoted identifier')
    expect(clauseShapeProblem(`x = $q$ never closed`)).toBe('has an unterminated dollar-quoted string')
    expect(clauseShapeProblem(`x = 1 /* /* */`)).toBe('has an unterminated /* comment')
    expect(clauseShapeProblem('id > $1')).toBe(
      'contains a parameter $1 (a clause takes no parameters: write the value)',
    )
    expect(clauseShapeProblem(`note = '$1' AND id > $12`)).toBe(
      'contains a parameter $12 (a clause takes no parameters: write the value)',
    )
    expect(clauseShapeProblem('   ')).toBe('is empty')
    expect(clauseShapeProblem('a = 1\u0000')).toBe('contains a NUL character')
  })
})
