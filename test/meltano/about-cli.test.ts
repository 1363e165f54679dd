/**
 * `tap-postgres --about` as Meltano (and MeltanoHub tooling) calls it, through the built CLI: the
 * JSON form lists exactly the capabilities and settings that work; the Markdown form's settings
 * table is the README's (both generated from src/config/schema.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, runTap } from '../harness/run-tap.js'
import { CAPABILITIES } from '../../src/about.js'
import { SETTINGS } from '../../src/config/schema.js'
import { readMeltanoYml } from './meltano.js'

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')

function between(text: string, start: string, end: string): string {
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  if (i < 0 || j < i) throw new Error(`no ${start} … ${end}`)
  return text.slice(text.indexOf('\n', i) + 1, j).trim()
}

describe('--about', () => {
  it('--about --format=json: name, version, the capabilities meltano.yml declares, every setting as JSON Schema', async () => {
    const r = await runTap(['--about', '--format=json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const about = JSON.parse(r.stdout) as {
      name: string
      version: string
      capabilities: string[]
      settings: { properties: Record<string, Record<string, unknown>>; required: string[] }
    }
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(about.name).toBe('tap-postgres')
    expect(about.version).toBe(pkg.version)
    expect(about.capabilities).toEqual([...CAPABILITIES])
    expect(about.capabilities).toEqual(readMeltanoYml().capabilities)
    expect(Object.keys(about.settings.properties)).toEqual(SETTINGS.map((s) => s.name))
    expect(about.settings.required).toEqual(['host', 'user', 'dbname'])
    expect(about.settings.properties.password).toMatchObject({
      type: 'string',
      secret: true,
      writeOnly: true,
    })
    expect(about.settings.properties.filter_schemas.oneOf).toBeDefined()
  })

  it("--about --format markdown: its settings table is the README's, its capabilities the README's list", async () => {
    const r = await runTap(['--about', '--format', 'markdown'])
    expect(r.code).toBe(0)
    const table = between(readme, '<!-- settings:start -->', '<!-- settings:end -->')
    expect(table.split('\n')).toHaveLength(SETTINGS.length + 2)
    expect(r.stdout).toContain(`## Settings\n\n${table}\n`)
    const caps = between(readme, '<!-- capabilities:start -->', '<!-- capabilities:end -->')
    expect(r.stdout).toContain(`## Capabilities\n\n${caps}\n`)
  })
})
