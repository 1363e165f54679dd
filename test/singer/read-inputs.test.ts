import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import { parseCatalog, readCatalog, readState } from '../../src/singer/read-inputs.js'
import { stateJson } from '../../src/singer/state.js'
import { writeJsonFile } from '../harness/pg.js'
import { REPO_ROOT } from '../harness/run-tap.js'
import { thrownBy } from '../harness/thrown.js'

/** docs/examples: states and a catalog entry as pipelinewise-tap-postgres 2.1 writes them. */
const example = (name: string): string => join(REPO_ROOT, 'docs', 'examples', name)

describe('readState', () => {
  it('reads the pipelinewise 2.1 example states and writes them back unchanged in meaning', () => {
    const full = readState(example('state-pipelinewise-full-table-midway.json'))
    expect(full.bookmarks['public-orders']).toEqual({
      last_replication_method: 'FULL_TABLE',
      version: 1700000000000,
      xmin: 123456,
    })
    expect(full.currently_syncing).toBe('public-orders')

    const inc = readState(example('state-pipelinewise-incremental.json'))
    expect(inc.bookmarks['public-orders'].replication_key_value?.rawJson).toBe(
      '"2023-05-17T10:11:12.123456+00:00"',
    )

    const log = readState(example('state-pipelinewise-log-based.json'))
    expect(log.bookmarks['public-users'].lsn).toBe(5000001234n)
    expect(stateJson(log)).toBe(
      '{"currently_syncing":null,"bookmarks":{"public-orders":{"last_replication_method":"LOG_BASED","lsn":5000000000,"version":1700000000000,"xmin":null},"public-users":{"last_replication_method":"LOG_BASED","lsn":5000001234,"version":1700000000001,"xmin":null}}}',
    )
  })

  it('keeps every digit of big numbers, in known and unknown keys', () => {
    const text =
      '{"bookmarks":{"s":{"replication_key":"k","replication_key_value":9223372036854775807,"lsn":18446744073709551615,"other":[1.10,123456789012345678901]}}}'
    const s = readState(writeJsonFile('s.json', text))
    expect(stateJson(s)).toBe(
      '{"currently_syncing":null,"bookmarks":{"s":{"replication_key":"k","replication_key_value":9223372036854775807,"lsn":18446744073709551615,"other":[1.10,123456789012345678901]}}}',
    )
  })

  it('accepts no file, an empty file, an empty object and a whole STATE message', () => {
    expect(readState(undefined)).toEqual({ currently_syncing: null, bookmarks: {} })
    expect(readState(writeJsonFile('s.json', '')).bookmarks).toEqual({})
    expect(readState(writeJsonFile('s.json', '{}')).bookmarks).toEqual({})
    expect(
      readState(writeJsonFile('s.json', { type: 'STATE', value: { bookmarks: { a: { version: 1 } } } }))
        .bookmarks.a.version,
    ).toBe(1)
  })

  it.each([
    ['{"bookmarks":', /not JSON/],
    ['[1]', /expected a JSON object/],
    ['{"bookmarks":{"a":1}}', /bookmarks\["a"\] must be an object/],
    ['{"currently_syncing":5}', /currently_syncing/],
    ['{"bookmarks":{"a":{"xmin":-1}}}', /xmin/],
    ['{"bookmarks":{"a":{"version":"x"}}}', /version/],
    ['{"bookmarks":{"a":{"lsn":"zz"}}}', /lsn/],
    ['{"bookmarks":{"a":{"replication_key_value":{"x":1}}}}', /replication_key_value/],
  ])('rejects %s', (text, message) => {
    const e = thrownBy(InputError, () => readState(writeJsonFile('s.json', text)))
    expect(e.code).toBe('STATE_INVALID')
    expect(e.exitCode).toBe(2)
    expect(e.message).toMatch(message)
  })

  it('names a missing file', () => {
    expect(thrownBy(InputError, () => readState('/nonexistent/state.json')).message).toMatch(/file not found/)
  })
})

describe('readCatalog', () => {
  it('reads the example catalog entry', () => {
    const c = readCatalog(example('catalog-entry.json'))
    expect(c.streams[0].tap_stream_id).toBe('public-orders')
    expect(c.streams[0].metadata).toHaveLength(5)
  })

  it('fills stream and table_name from each other', () => {
    const c = parseCatalog({ streams: [{ tap_stream_id: 'public-x', table_name: 'x' }] })
    expect(c.streams[0].stream).toBe('x')
    expect(c.streams[0].metadata).toEqual([])
  })

  it.each([
    [{}, /"streams" array/],
    [{ streams: [1] }, /streams\[0\] is not an object/],
    [{ streams: [{}] }, /no "tap_stream_id"/],
    [{ streams: [{ tap_stream_id: 'a', metadata: {} }] }, /"metadata" must be an array/],
    [{ streams: [{ tap_stream_id: 'a', metadata: [{ breadcrumb: [] }] }] }, /metadata\[0\]/],
  ])('rejects %j', (doc, message) => {
    const e = thrownBy(InputError, () => parseCatalog(doc))
    expect(e.code).toBe('CATALOG_INVALID')
    expect(e.message).toMatch(message)
  })

  it('rejects a file that is not JSON', () => {
    expect(thrownBy(InputError, () => readCatalog(writeJsonFile('c.json', '{'))).message).toMatch(/not JSON/)
  })
})
