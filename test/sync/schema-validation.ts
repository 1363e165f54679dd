/**
 * RECORD vs SCHEMA checks for sync tests, with ajv 8. The tap's schemas use pipelinewise's draft-04
 * numeric style (`exclusiveMaximum: true` next to `maximum`), which ajv 8 does not read: those two
 * keywords are converted to the draft-06+ form (`exclusiveMaximum: <number>`) before compiling; the
 * record itself is checked unchanged. ajv-formats is not installed, so `date-time` and `time` get
 * their RFC 3339 patterns here.
 */
import AjvModule, { type Ajv as AjvInstance } from 'ajv'
import type { SingerMessage } from '../harness/run-tap.js'

// ajv is CommonJS: under NodeNext its default import is the module object, whose `default` is the class.
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (
  opts: Record<string, unknown>,
) => AjvInstance

type Json = Record<string, unknown>

function convertDraft04(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertDraft04)
  if (node === null || typeof node !== 'object') return node
  const out: Json = {}
  for (const [k, v] of Object.entries(node as Json)) out[k] = convertDraft04(v)
  if (out.exclusiveMaximum === true && typeof out.maximum === 'number') {
    out.exclusiveMaximum = out.maximum
    delete out.maximum
  } else if (out.exclusiveMaximum === false) delete out.exclusiveMaximum
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum
    delete out.minimum
  } else if (out.exclusiveMinimum === false) delete out.exclusiveMinimum
  return out
}

function newAjv(): AjvInstance {
  // multipleOfPrecision: the record's decimals arrive as doubles (1.5 / 0.01 is 150.00000000000003).
  const ajv = new Ajv({ strict: false, allErrors: true, multipleOfPrecision: 6 })
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/)
  ajv.addFormat('time', /^\d\d:\d\d:\d\d(\.\d{1,9})?$/)
  return ajv
}

/**
 * Walks the messages in stdout order: every RECORD must come after a SCHEMA of its stream and
 * validate against the latest one. Returns the problems found (empty when all is well).
 */
export function checkRecordsAgainstSchemas(messages: readonly SingerMessage[]): string[] {
  const ajv = newAjv()
  const validators = new Map<string, ReturnType<typeof ajv.compile>>()
  const problems: string[] = []
  messages.forEach((m, i) => {
    if (m.type === 'SCHEMA') {
      validators.set(m.stream as string, ajv.compile(convertDraft04(m.schema) as Json))
    } else if (m.type === 'RECORD') {
      const validate = validators.get(m.stream as string)
      if (!validate) {
        problems.push(`line ${i + 1}: RECORD of ${m.stream} before its SCHEMA`)
        return
      }
      if (!validate(m.record))
        problems.push(
          `line ${i + 1}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(m.record).slice(0, 300)}`,
        )
    }
  })
  return problems
}
