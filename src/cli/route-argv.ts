/**
 * Meltano calls every tap flag-first (`tap-postgres --config c.json --discover`), but oclif reads
 * argv[0] as a command id. This maps the Singer form onto the subcommands; pure, so it is unit tested.
 */
const MODE_FLAGS: Record<string, string> = { '--discover': 'discover', '--about': 'about' }
const SYNC_FLAGS = new Set(['--catalog', '--properties'])
const PASS_THROUGH = new Set(['--help', '-h', '--version', '-v'])

export function routeArgv(argv: readonly string[]): string[] {
  if (argv.length === 0) return ['--help']
  const first = argv[0]
  if (!first.startsWith('-') || PASS_THROUGH.has(first)) {
    if (argv.length === 1 && PASS_THROUGH.has(first)) return [...argv]
    if (!first.startsWith('-')) return [...argv]
  }
  const rest: string[] = []
  let command: string | undefined
  for (const arg of argv) {
    const flag = arg.split('=')[0]
    const mode = MODE_FLAGS[flag]
    if (mode !== undefined && !arg.includes('=')) {
      // --discover wins over --catalog (Meltano never passes both; pipelinewise would discover).
      if (command === undefined || command === 'sync') command = mode
      continue
    }
    if (SYNC_FLAGS.has(flag) && command === undefined) command = 'sync'
    rest.push(arg)
  }
  if (command === undefined) {
    if (argv.some((a) => PASS_THROUGH.has(a))) return [...argv]
    command = 'sync'
  }
  return [command, ...rest]
}
