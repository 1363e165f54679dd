import { describe, expect, it } from 'vitest'
import { routeArgv } from '../../src/cli/route-argv.js'

describe('routeArgv', () => {
  it.each([
    [
      ['--config', 'c.json', '--discover'],
      ['discover', '--config', 'c.json'],
    ],
    [
      ['--config', 'c.json', '--discover', '--state', 's.json'],
      ['discover', '--config', 'c.json', '--state', 's.json'],
    ],
    [
      ['--config', 'c.json', '--catalog', 'k.json', '--state', 's.json'],
      ['sync', '--config', 'c.json', '--catalog', 'k.json', '--state', 's.json'],
    ],
    [
      ['--config', 'c.json', '--properties', 'k.json'],
      ['sync', '--config', 'c.json', '--properties', 'k.json'],
    ],
    [
      ['--about', '--format', 'json'],
      ['about', '--format', 'json'],
    ],
    [
      ['--config', 'a.json', '--config', 'b.json', '--about'],
      ['about', '--config', 'a.json', '--config', 'b.json'],
    ],
    [
      ['discover', '--config', 'c.json'],
      ['discover', '--config', 'c.json'],
    ],
    [
      ['slot', 'status', '--config', 'c.json'],
      ['slot', 'status', '--config', 'c.json'],
    ],
    [['--version'], ['--version']],
    [['--help'], ['--help']],
    [[], ['--help']],
  ])('%j → %j', (input, expected) => {
    expect(routeArgv(input)).toEqual(expected)
  })
})
