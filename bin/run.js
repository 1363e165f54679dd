#!/usr/bin/env node
// oclif entry. The Singer flag-first form (`tap-postgres --config c.json --discover`) is routed to the
// root command by src/cli/route-argv.ts, because oclif would read a leading flag as a command id.
import { runCli } from '../dist/src/cli/main.js'

await runCli(process.argv.slice(2), import.meta.url)
