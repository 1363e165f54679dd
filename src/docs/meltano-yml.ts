import { SETTINGS, type SettingSpec } from '../config/schema.js'
import { CAPABILITIES } from '../about.js'

/**
 * Meltano setting kinds for our setting kinds (meltano.schema.json base_setting.kind). Secrets are
 * `sensitive: true` on their own kind: `kind: password` is deprecated there.
 */
function meltanoKind(s: SettingSpec): string {
  switch (s.kind) {
    case 'integer':
      return 'integer'
    case 'number':
      return 'decimal'
    case 'boolean':
      return 'boolean'
    case 'enum':
      return 'options'
    case 'string-list':
      return 'array'
    case 'object':
      return 'object'
    default:
      return 'string'
  }
}

function yamlString(s: string): string {
  return JSON.stringify(s)
}

/** The `settings:` block of the example meltano.yml, generated from the one settings schema. */
export function meltanoSettingsYaml(indent: string): string {
  const lines: string[] = []
  for (const s of SETTINGS) {
    lines.push(`${indent}- name: ${s.name}`)
    lines.push(`${indent}  kind: ${meltanoKind(s)}`)
    lines.push(`${indent}  description: ${yamlString(s.description)}`)
    if (s.default !== undefined) lines.push(`${indent}  value: ${JSON.stringify(s.default)}`)
    if (s.secret) lines.push(`${indent}  sensitive: true`)
    if (s.kind === 'enum') {
      lines.push(`${indent}  options:`)
      for (const c of s.choices ?? []) lines.push(`${indent}    - label: ${c}`, `${indent}      value: ${c}`)
    }
  }
  return lines.join('\n')
}

export function meltanoCapabilitiesYaml(indent: string): string {
  return CAPABILITIES.map((c) => `${indent}- ${c}`).join('\n')
}
