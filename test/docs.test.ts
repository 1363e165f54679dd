import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generated } from '../scripts/gen-docs.js'
import { REPO_ROOT } from './harness/run-tap.js'
import { SETTINGS } from '../src/config/schema.js'

describe('generated docs', () => {
  it('README settings table and meltano.yml are generated from the settings schema (run npm run gen-docs)', () => {
    const { readme, meltano } = generated()
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toBe(readme)
    expect(readFileSync(join(REPO_ROOT, 'meltano.yml'), 'utf8')).toBe(meltano)
    for (const s of SETTINGS) {
      expect(readme).toContain(`| \`${s.name}\` |`)
      expect(meltano).toContain(`- name: ${s.name}\n`)
    }
    expect(meltano).toMatch(/- name: password\n\s+kind: string\n[^-]*sensitive: true/)
  })
})
