import { SETTINGS, settingsJsonSchema, type SettingSpec } from './config/schema.js'

/** Capabilities the tap really supports, with Meltano's names (meltano.schema.json, extractors). */
export const CAPABILITIES = [
  'catalog',
  'discover',
  'state',
  'about',
  'activate-version',
  'log-based',
  'structured-logging',
] as const
// Not claimed: stream-maps, schema-flattening, batch, test (`tap-postgres check` is not Meltano's
// `--test`), properties (`--properties` is accepted, but Meltano wants catalog or properties, not both).

const CAPABILITY_NOTES: Record<(typeof CAPABILITIES)[number], string> = {
  catalog: '`--catalog` with stream and column selections (`--properties` is accepted as its older name)',
  discover: '`--discover` writes the catalog to stdout',
  state: '`--state` resumes every replication method',
  about: '`--about [--format json|markdown]`',
  'activate-version': 'FULL_TABLE streams emit ACTIVATE_VERSION',
  'log-based': '`replication-method: LOG_BASED` (pgoutput, built in, or wal2json)',
  'structured-logging':
    "JSON log lines when SINGER_SDK_LOG_CONFIG names the Singer SDK's StructuredFormatter",
}

/** The capabilities as a Markdown list; the README's list is generated from this (scripts/gen-docs.ts). */
export function capabilitiesMarkdown(): string {
  return CAPABILITIES.map((c) => `- \`${c}\`: ${CAPABILITY_NOTES[c]}`).join('\n')
}

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
    description:
      'Singer tap for PostgreSQL: FULL_TABLE, INCREMENTAL and LOG_BASED (pgoutput or wal2json), with a bounded number of connections',
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

/** The settings table; the README's table is generated from this (scripts/gen-docs.ts). */
export function settingsMarkdownTable(): string {
  const rows = ['| Setting | Type | Default | Required | Description |', '|---|---|---|---|---|']
  for (const s of SETTINGS) {
    const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``
    const desc = s.description + (s.secret ? ' (secret)' : '')
    rows.push(
      `| \`${s.name}\` | ${settingType(s)} | ${def} | ${s.required ? 'yes' : ''} | ${desc.replace(/\|/g, '\\|')} |`,
    )
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
    capabilitiesMarkdown(),
    '',
    '## Settings',
    '',
    settingsMarkdownTable(),
    '',
  ].join('\n')
}

export function aboutText(info: AboutInfo): string {
  const lines = [
    `Name: ${info.name}`,
    `Version: ${info.version}`,
    `Description: ${info.description}`,
    `Capabilities: ${info.capabilities.join(', ')}`,
    'Settings:',
  ]
  for (const s of SETTINGS)
    lines.push(
      `  - ${s.name} (${settingType(s)}${s.required ? ', required' : ''}${s.default !== undefined ? `, default ${JSON.stringify(s.default)}` : ''})`,
    )
  return lines.join('\n') + '\n'
}
