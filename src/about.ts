import { SETTINGS, settingsJsonSchema, type SettingSpec } from './config/schema.js'

/** Capabilities the tap really supports (Meltano reads them from `--about`). */
export const CAPABILITIES = ['catalog', 'discover', 'state', 'about', 'log-based'] as const

export interface AboutInfo {
  name: string
  description: string
  version: string
  capabilities: readonly string[]
  settings: Record<string, unknown>
}

export function aboutInfo(version: string): AboutInfo {
  return {
    name: 'tap-postgres',
    description: 'Singer tap for PostgreSQL: FULL_TABLE, INCREMENTAL and LOG_BASED (wal2json), with a bounded number of connections',
    version,
    capabilities: CAPABILITIES,
    settings: settingsJsonSchema(),
  }
}

function settingType(s: SettingSpec): string {
  if (s.kind === 'enum') return (s.choices ?? []).join(' \\| ')
  if (s.kind === 'string-list') return 'string or array'
  return s.kind
}

/** The settings table; the README's table is generated from this (scripts/gen-readme-settings). */
export function settingsMarkdownTable(): string {
  const rows = ['| Setting | Type | Default | Required | Description |', '|---|---|---|---|---|']
  for (const s of SETTINGS) {
    const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``
    const desc = s.description + (s.secret ? ' (secret)' : '')
    rows.push(`| \`${s.name}\` | ${settingType(s)} | ${def} | ${s.required ? 'yes' : ''} | ${desc.replace(/\|/g, '\\|')} |`)
  }
  return rows.join('\n')
}

export function aboutMarkdown(info: AboutInfo): string {
  return [
    `# ${info.name}`,
    '',
    info.description,
    '',
    `Version: ${info.version}`,
    '',
    '## Capabilities',
    '',
    ...info.capabilities.map((c) => `- ${c}`),
    '',
    '## Settings',
    '',
    settingsMarkdownTable(),
    '',
  ].join('\n')
}

export function aboutText(info: AboutInfo): string {
  const lines = [`Name: ${info.name}`, `Version: ${info.version}`, `Description: ${info.description}`, `Capabilities: ${info.capabilities.join(', ')}`, 'Settings:']
  for (const s of SETTINGS) lines.push(`  - ${s.name} (${settingType(s)}${s.required ? ', required' : ''}${s.default !== undefined ? `, default ${JSON.stringify(s.default)}` : ''})`)
  return lines.join('\n') + '\n'
}
