import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { SingerOutput } from '../../src/singer/output.js'
import { EMPTY_STATE } from '../../src/singer/state.js'
import { OutputEmitter } from '../../src/sync/emitter.js'

/** An emitter over a stdout that collects lines, with a clock the test moves. */
function setup(stateIntervalMs: number) {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      )
      done()
    },
  })
  let now = 1_000_000
  const emitter = new OutputEmitter(new SingerOutput(sink), EMPTY_STATE, { stateIntervalMs, now: () => now })
  return {
    emitter,
    lines,
    tick: (ms: number) => {
      now += ms
    },
  }
}

const types = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { type: string }).type)

describe('OutputEmitter STATE interval', () => {
  it('writes a due STATE only when the last one is at least the interval old; skipped ones lose nothing', async () => {
    const { emitter, lines, tick } = setup(1000)
    await emitter.writeRecords('{"type":"RECORD","stream":"s","record":{"id":1}}\n', 1)
    emitter.commit('s', { xmin: 1 })
    await emitter.writeState() // first STATE of the run: written
    for (let i = 2; i <= 5; i++) {
      tick(100)
      await emitter.writeRecords(`{"type":"RECORD","stream":"s","record":{"id":${i}}}\n`, 1)
      emitter.commit('s', { xmin: i })
      await emitter.writeState() // 100 ms apart: held back
    }
    expect(types(lines)).toEqual(['RECORD', 'STATE', 'RECORD', 'RECORD', 'RECORD', 'RECORD'])
    tick(700) // 1,100 ms after the first STATE
    await emitter.writeState()
    expect(types(lines).at(-1)).toBe('STATE')
    // The STATE written carries everything committed by then.
    expect(JSON.parse(lines.at(-1) as string).value.bookmarks.s.xmin).toBe(5)
  })

  it('writeFinalState writes the last STATE whatever the interval, once', async () => {
    const { emitter, lines } = setup(60_000)
    await emitter.writeState()
    emitter.commit('s', { version: 7 })
    await emitter.writeState()
    expect(types(lines)).toEqual(['STATE'])
    await emitter.writeFinalState()
    await emitter.writeFinalState()
    expect(types(lines)).toEqual(['STATE', 'STATE'])
    expect(JSON.parse(lines[1]).value.bookmarks.s.version).toBe(7)
  })

  it('interval 0 writes every due STATE (pipelinewise cadence)', async () => {
    const { emitter, lines } = setup(0)
    for (let i = 0; i < 3; i++) await emitter.writeState()
    expect(types(lines)).toEqual(['STATE', 'STATE', 'STATE'])
  })

  it('commits to one stream leave the other bookmarks as they were read', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(c: Buffer, _e, d) {
        lines.push(c.toString())
        d()
      },
    })
    const input = {
      currently_syncing: null,
      bookmarks: { other: { lsn: 18446744073709551615n, version: 3 } },
    }
    const emitter = new OutputEmitter(new SingerOutput(sink), input)
    emitter.commit('s', { xmin: 9 })
    emitter.commit('s', { xmin: undefined, version: 4 })
    await emitter.writeState()
    expect(lines.join('')).toBe(
      '{"type":"STATE","value":{"currently_syncing":null,"bookmarks":{"other":{"lsn":18446744073709551615,"version":3},"s":{"version":4}}}}\n',
    )
    expect(input.bookmarks).toEqual({ other: { lsn: 18446744073709551615n, version: 3 } })
  })
})
