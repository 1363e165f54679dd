/**
 * The live progress view in a real pseudo-terminal (test/harness/pty.ts runs the built CLI under
 * util-linux `script`): stream lines and the total while a sync runs, the summary after, warnings
 * above the view, no info lines; stdout byte for byte what a run without a terminal writes; the
 * lines as before with --no-progress, --verbose or LOG_LEVEL=info; chunks, SIGTERM and LOG_BASED
 * streaming (messages, how far behind) on the screen.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { requireScript, runInPty } from '../harness/pty.js'
import { parseMessages, runTap } from '../harness/run-tap.js'
import { renderScreen, stripAnsi } from '../harness/terminal.js'
import { group } from '../../src/sync/progress-text.js'
import { LOG_BASED_PLUGINS } from '../replication/plugins.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  recordLines,
  selectStreams,
  writeCatalog,
} from './catalog-helpers.js'

const HIDE_CURSOR = '\u001B[?25l'
const SHOW_CURSOR = '\u001B[?25h'

let db: string
let dir: string

beforeAll(async () => {
  requireScript()
  db = await createTestDatabase('progress')
  dir = mkdtempSync(join(tmpdir(), 'tap-pty-'))
  await sql(`CREATE TABLE big (id int PRIMARY KEY, t text, ts timestamptz);
             INSERT INTO big SELECT i, md5(i::text), '2024-01-02 03:04:05.123456+00'::timestamptz + i * interval '1 second' FROM generate_series(1, 150000) i;
             CREATE TABLE small (id int PRIMARY KEY, t text);
             INSERT INTO small SELECT i, 'row ' || i FROM generate_series(1, 2000) i;
             CREATE TABLE clamped (id int PRIMARY KEY, ts timestamptz);
             INSERT INTO clamped VALUES (1, 'infinity'), (2, '2024-01-01');
             ANALYZE`)
})
afterAll(async () => {
  await dropTestDatabase(db)
})

async function sql(text: string): Promise<void> {
  await withAdmin(db, (c) => c.query(text))
}

function out(name: string): string {
  return join(dir, name)
}

/** The stdout of a run, with what differs between two runs of the same sync made comparable. */
function comparable(stdout: string): string {
  const versions = new Map<string, string>()
  return (
    stdout
      .replace(/,"time_extracted":"[^"]*"/g, '')
      // A FULL_TABLE version is the run's start time: the n-th distinct one of each run must match.
      .replace(/"version":(\d+)/g, (_m, v: string) => {
        if (!versions.has(v)) versions.set(v, `V${versions.size}`)
        return `"version":"${versions.get(v)}"`
      })
  )
}

describe('FULL_TABLE on a terminal', () => {
  let config: string
  let catalog: string
  let smallCatalog: string

  beforeAll(async () => {
    // Every due STATE is written (no time bound), so where STATE lines fall does not depend on timing
    // and the stdout of a run on a terminal can be compared with a run without one, byte for byte.
    config = writeConfig(db, { max_workers: 1, itersize: 500, state_interval_seconds: 0 })
    const discovered = await discoverCatalog(config)
    catalog = writeCatalog(
      selectStreams(discovered, {
        big: { method: 'FULL_TABLE' },
        small: { method: 'FULL_TABLE' },
        clamped: { method: 'FULL_TABLE' },
      }),
    )
    smallCatalog = writeCatalog(selectStreams(discovered, { small: { method: 'FULL_TABLE' } }))
  })

  it('shows stream lines and the total while the sync runs and the summary after; stdout is what a run without a terminal writes', async () => {
    const plain = await runTap(['sync', '--config', config, '--catalog', catalog], { timeoutMs: 120_000 })
    expectSuccess(plain)
    // Without a terminal nothing changes: the info lines, no view.
    expect(plain.stderr).toMatch(/level=info .*message=Fetched \d+ rows total/)
    expect(plain.stderr).not.toContain('▶')
    expect(plain.stderr).not.toContain('Sync finished: 3/3')

    const r = await runInPty(['sync', '--config', config, '--catalog', catalog], {
      stdoutPath: out('tty.jsonl'),
      readerDelaySeconds: 1,
    })
    expect(r.code).toBe(0)
    const stdout = readFileSync(out('tty.jsonl'), 'utf8')
    expect(stdout.length).toBeGreaterThan(0)
    expect(comparable(stdout)).toBe(comparable(plain.stdout))

    // Every frame ever drawn, in order: the stream in flight and the total line came before the summary.
    const drawn = stripAnsi(r.terminal)
    const inFlight = drawn.search(/▶ public-big +[\d,]+\/150,000 rows {2}\d+%/)
    const total = drawn.search(/total {2}\d\/3 streams done {2}[\d,]+ records/)
    const summary = drawn.indexOf('Sync finished: 3/3 streams, 152,002 records in')
    expect(inFlight).toBeGreaterThanOrEqual(0)
    expect(total).toBeGreaterThanOrEqual(0)
    expect(summary).toBeGreaterThan(inFlight)
    expect(summary).toBeGreaterThan(total)

    // The screen after the run: the warning (printed above the view), then the summary; no frame left.
    const screen = renderScreen(r.terminal)
    const warning = screen.findIndex((l) =>
      /level=warning stream=public-clamped message=Out-of-range date\/time values clamped/.test(l),
    )
    expect(warning).toBeGreaterThanOrEqual(0)
    const tail = screen.slice(warning + 1)
    expect(tail).toHaveLength(4)
    expect(tail[0]).toMatch(/^✔ public-big +150,000 rows in [\d.:]+s? \([\d,.]+ rows\/s\)$/)
    expect(tail[1]).toMatch(/^✔ public-small +2,000 rows in /)
    expect(tail[2]).toMatch(/^✔ public-clamped +2 rows in /)
    expect(tail[3]).toMatch(/^Sync finished: 3\/3 streams, 152,002 records in /)
    expect(screen.some((l) => l.startsWith('▶') || l.startsWith('total '))).toBe(false)
    // No info lines on the terminal with the view on; the cursor is shown again.
    expect(drawn).not.toContain('level=info')
    expect(r.terminal.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(r.terminal.lastIndexOf(HIDE_CURSOR))
  })

  it.each([
    ['--no-progress', ['--no-progress'], {}],
    ['--verbose', ['--verbose'], {}],
    ['LOG_LEVEL=info', [], { LOG_LEVEL: 'info' }],
  ])('%s: the info lines on the terminal, no view', async (_name, flags, env) => {
    const r = await runInPty(['sync', '--config', config, '--catalog', smallCatalog, ...flags], {
      stdoutPath: out('lines.jsonl'),
      env,
    })
    expect(r.code).toBe(0)
    const drawn = stripAnsi(r.terminal)
    expect(drawn).toMatch(/level=info .*message=Fetched \d+ rows total/)
    expect(drawn).toMatch(/level=info message=Sync finished: 2000 records written/)
    expect(drawn).not.toContain('▶')
    expect(r.terminal).not.toContain(HIDE_CURSOR)
  })

  it('a chunked load shows its chunks; SIGTERM leaves the summary of what was done, the cursor, exit 143', async () => {
    const chunked = writeConfig(db, { max_workers: 2, chunk_rows: 20000 })
    const pidPath = out('tap.pid')
    let sent = false
    const r = await runInPty(['sync', '--config', chunked, '--catalog', catalog], {
      stdoutPath: out('term.jsonl'),
      pidPath,
      // stdout is not read for 3 s: the load is in flight, with its chunk count on the screen, when SIGTERM comes.
      readerDelaySeconds: 3,
      onOutput: (terminal) => {
        if (sent || !/chunk \d+\/\d+/.test(stripAnsi(terminal)) || !existsSync(pidPath)) return
        const pid = Number(readFileSync(pidPath, 'utf8').trim())
        if (!Number.isInteger(pid) || pid <= 0) return
        sent = true
        process.kill(pid, 'SIGTERM')
      },
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(143)
    const screen = renderScreen(r.terminal)
    const big = screen.find((l) => l.includes('public-big')) ?? ''
    expect(big).toMatch(/^■ public-big +stopped after [\d,]+ rows, \d+\/\d+ chunks done \(/)
    // The rows it reports are the records on stdout.
    const written = recordLines(readFileSync(out('term.jsonl'), 'utf8'), 'public-big').length
    expect(big).toContain(`stopped after ${group(written)} rows`)
    expect(screen[screen.length - 1]).toMatch(/^Sync stopped: \d\/3 streams, [\d,]+ records in /)
    expect(screen.some((l) => l.startsWith('▶') || l.startsWith('total '))).toBe(false)
    expect(r.terminal.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(r.terminal.lastIndexOf(HIDE_CURSOR))
  })
})

// One replication connection for every LOG_BASED stream: the plugin is the run's (see plugins.ts).
describe.each(LOG_BASED_PLUGINS)('LOG_BASED on a terminal (%s)', (plugin) => {
  const slot = `progress_${plugin}`
  let config: string
  let catalog: string

  beforeAll(async () => {
    await sql(
      `CREATE TABLE ev_${plugin} (id serial PRIMARY KEY, v text); INSERT INTO ev_${plugin} (v) SELECT 'v' || i FROM generate_series(1, 100) i`,
    )
    // Streaming goes on for 2 s after the last change, so the view draws the stream while it is in flight.
    config = writeConfig(db, {
      replication_slot_name: slot,
      break_at_end_lsn: false,
      logical_poll_total_seconds: 2,
    })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [`ev_${plugin}`]: { method: 'LOG_BASED' } }),
    )
  })

  it('the initial load, then streaming: messages, msg/s and how far behind, and the summary', async () => {
    const stream = `public-ev_${plugin}`
    const first = await runInPty(['sync', '--config', config, '--catalog', catalog], {
      stdoutPath: out(`lb1-${plugin}.jsonl`),
    })
    expect(first.code).toBe(0)
    const firstScreen = renderScreen(first.terminal)
    expect(firstScreen.slice(-2)).toEqual([
      expect.stringMatching(new RegExp(`^✔ ${stream} +100 rows loaded, 0 messages in `)),
      expect.stringMatching(/^Sync finished: 1\/1 streams, 100 records in /),
    ])
    const state = lastState(parseMessages(readFileSync(out(`lb1-${plugin}.jsonl`), 'utf8')))

    for (let i = 0; i < 20; i++)
      await sql(`INSERT INTO ev_${plugin} (v) SELECT 'w' || g FROM generate_series(1, 1000) g`)
    await sql('CHECKPOINT')
    const statePath = out(`state-${plugin}.json`)
    writeFileSync(statePath, JSON.stringify(state))
    const second = await runInPty(['sync', '--config', config, '--catalog', catalog, '--state', statePath], {
      stdoutPath: out(`lb2-${plugin}.jsonl`),
    })
    expect(second.code).toBe(0)
    expect(
      readFileSync(out(`lb2-${plugin}.jsonl`), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"type":"RECORD"')),
    ).toHaveLength(20_000)
    const drawn = stripAnsi(second.terminal)
    expect(drawn).toMatch(
      new RegExp(
        `▶ ${stream} +LOG_BASED {2}[\\d,]+ messages( {2}[\\d,.]+ msg/s)? {2}behind \\d+ (bytes|kB|MB)`,
      ),
    )
    const screen = renderScreen(second.terminal)
    expect(screen.slice(-2)).toEqual([
      expect.stringMatching(new RegExp(`^✔ ${stream} +20,000 messages in `)),
      expect.stringMatching(/^Sync finished: 1\/1 streams, 20,000 records in /),
    ])
    expect(second.terminal.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(second.terminal.lastIndexOf(HIDE_CURSOR))
  })
})
