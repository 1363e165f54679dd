import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
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

/** Every file under `dir` (relative to the repository) whose name ends in one of `exts`. */
function filesUnder(dir: string, exts: readonly string[]): string[] {
  const root = join(REPO_ROOT, dir)
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name)
    if (statSync(path).isDirectory()) return filesUnder(relative(REPO_ROOT, path), exts)
    return exts.some((e) => name.endsWith(e)) ? [relative(REPO_ROOT, path)] : []
  })
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
function anchors(doc: string): Set<string> {
  const text = readFileSync(join(REPO_ROOT, doc), 'utf8')
  return new Set(
    [...text.matchAll(/^#+ (.*)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  )
}

describe('behaviour docs cited by the code', () => {
  const files = [
    ...['src', 'workers', 'scripts', 'test'].flatMap((d) => filesUnder(d, ['.ts'])),
    ...filesUnder('docs', ['.md']),
    'README.md',
  ]

  it('every docs/behaviour.md#... and docs/types.md#... citation names a heading that exists', () => {
    const known = { behaviour: anchors('docs/behaviour.md'), types: anchors('docs/types.md') }
    const missing: string[] = []
    let cited = 0
    for (const f of files) {
      for (const m of readFileSync(join(REPO_ROOT, f), 'utf8').matchAll(
        /\b(behaviour|types)\.md#([\w-]+)/g,
      )) {
        cited++
        if (!known[m[1] as 'behaviour' | 'types'].has(m[2])) missing.push(`${f}: ${m[0]}`)
      }
    }
    expect(missing).toEqual([])
    expect(cited).toBeGreaterThan(30)
  })

  it('nothing cites a document outside the repository', () => {
    const outside = [`spec ${'\u00a7'}`, `shared/${'spec'}`, `../${'shared'}`]
    const found = files.flatMap((f) => {
      const text = readFileSync(join(REPO_ROOT, f), 'utf8')
      return outside.filter((o) => text.includes(o)).map((o) => `${f}: ${o}`)
    })
    expect(found).toEqual([])
  })
})
