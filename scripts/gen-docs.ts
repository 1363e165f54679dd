/**
 * Regenerates the parts of README.md and meltano.yml that come from the settings schema
 * (src/config/schema.ts), so docs, `--about` and validation cannot drift apart.
 * `node dist/scripts/gen-docs.js` writes them; `--check` exits 1 when they are stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { capabilitiesMarkdown, settingsMarkdownTable } from '../src/about.js'
import { meltanoCapabilitiesYaml, meltanoSettingsYaml } from '../src/docs/meltano-yml.js'

function repoRoot(): string {
  // Runs from scripts/ (tests) and from dist/scripts/ (npm run gen-docs).
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return dir
}

const root = repoRoot()

export function replaceBetween(text: string, name: string, body: string): string {
  const start = `# <${name}>`
  const end = `# </${name}>`
  const mdStart = `<!-- ${name}:start -->`
  const mdEnd = `<!-- ${name}:end -->`
  for (const [a, b] of [
    [mdStart, mdEnd],
    [start, end],
  ] as const) {
    const i = text.indexOf(a)
    const j = text.indexOf(b)
    if (i >= 0 && j > i) {
      const lineEnd = text.indexOf('\n', i) + 1
      const endLineStart = text.lastIndexOf('\n', j) + 1
      return text.slice(0, lineEnd) + body + '\n' + text.slice(endLineStart)
    }
  }
  throw new Error(`markers for ${name} not found`)
}

export function generated(): { readme: string; meltano: string } {
  let readme = readFileSync(join(root, 'README.md'), 'utf8')
  readme = replaceBetween(readme, 'settings', settingsMarkdownTable())
  readme = replaceBetween(readme, 'capabilities', capabilitiesMarkdown())
  let meltano = readFileSync(join(root, 'meltano.yml'), 'utf8')
  meltano = replaceBetween(meltano, 'settings', meltanoSettingsYaml('      '))
  meltano = replaceBetween(meltano, 'capabilities', meltanoCapabilitiesYaml('      '))
  return { readme, meltano }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { readme, meltano } = generated()
  if (process.argv.includes('--check')) {
    const stale =
      readFileSync(join(root, 'README.md'), 'utf8') !== readme ||
      readFileSync(join(root, 'meltano.yml'), 'utf8') !== meltano
    if (stale) {
      process.stderr.write('README.md or meltano.yml is stale: run npm run gen-docs\n')
      process.exitCode = 1
    }
  } else {
    writeFileSync(join(root, 'README.md'), readme)
    writeFileSync(join(root, 'meltano.yml'), meltano)
  }
}
