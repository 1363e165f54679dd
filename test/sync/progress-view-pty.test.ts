/**
 * Worker threads' lines and the live view on a real pseudo-terminal: a worker writes to its
 * process.stderr, Node pipes that into the main thread's process.stderr, and the view (wrapping
 * that stream's write) puts each line above the frame. Runs test/fixtures/view-with-worker-lines.mjs
 * (the built module: npm run build) under util-linux `script`.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requireScript, shellQuote } from '../harness/pty.js'
import { REPO_ROOT } from '../harness/run-tap.js'
import { renderScreen } from '../harness/terminal.js'

describe('live view and worker threads on a terminal', () => {
  it('every line a worker thread writes lands whole above the view; the summary stays at the end', () => {
    requireScript()
    const fixture = join(REPO_ROOT, 'test', 'fixtures', 'view-with-worker-lines.mjs')
    const r = spawnSync(
      'script',
      ['-qfec', `stty cols 100 rows 30; ${shellQuote(process.execPath)} ${shellQuote(fixture)}`, '/dev/null'],
      {
        encoding: 'utf8',
        env: { ...process.env, SHELL: '/bin/sh' },
        timeout: 60_000,
        input: '',
      },
    )
    expect(r.status).toBe(0)
    const screen = renderScreen(r.stdout)
    const workerLines = Array.from({ length: 20 }, (_, i) => `worker line ${i + 1} of 20`)
    expect(screen.slice(0, 20)).toEqual(workerLines)
    expect(screen.slice(20)).toEqual([
      expect.stringMatching(/^✔ public-a {2}[\d,]+ rows in [\d.]+s \([\d,.]+ rows\/s\)$/),
      expect.stringMatching(/^Sync finished: 1\/1 streams, [\d,]+ records in /),
    ])
    // Frames were drawn in between (the view was up while the worker wrote).
    expect(r.stdout).toMatch(/▶ public-a {2}[\d,]+\/1,000 rows/)
  })
})
