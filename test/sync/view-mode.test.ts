import { describe, expect, it } from 'vitest'
import { viewMode, type ViewModeInputs } from '../../src/log/view-mode.js'
import { envLevel, levelFromEnv } from '../../src/log/logger.js'

const TERMINAL: ViewModeInputs = {
  stderrIsTTY: true,
  stdoutIsStderr: false,
  format: 'text',
  askedLevel: undefined,
  progress: true,
  verbose: false,
}

describe('viewMode: the live view or the log lines', () => {
  it('a terminal on stderr, stdout elsewhere, text logs: the view, and warnings and errors above it', () => {
    expect(viewMode(TERMINAL)).toEqual({ view: true, level: 'warning' })
    expect(viewMode({ ...TERMINAL, askedLevel: 'error' })).toEqual({ view: true, level: 'error' })
    expect(viewMode({ ...TERMINAL, askedLevel: 'warning' })).toEqual({ view: true, level: 'warning' })
  })

  it('not a terminal, stdout on the same terminal, or JSON (structured) logs: the lines, as before', () => {
    expect(viewMode({ ...TERMINAL, stderrIsTTY: false })).toEqual({ view: false, level: undefined })
    expect(viewMode({ ...TERMINAL, stdoutIsStderr: true })).toEqual({ view: false, level: undefined })
    expect(viewMode({ ...TERMINAL, format: 'json' })).toEqual({ view: false, level: undefined })
  })

  it('--no-progress, LOG_LEVEL=info or debug, --verbose: the lines on a terminal too', () => {
    expect(viewMode({ ...TERMINAL, progress: false })).toEqual({ view: false, level: undefined })
    expect(viewMode({ ...TERMINAL, askedLevel: 'info' })).toEqual({ view: false, level: undefined })
    expect(viewMode({ ...TERMINAL, askedLevel: 'debug' })).toEqual({ view: false, level: undefined })
    expect(viewMode({ ...TERMINAL, verbose: true })).toEqual({ view: false, level: 'info' })
    expect(viewMode({ ...TERMINAL, verbose: true, askedLevel: 'warning' })).toEqual({
      view: false,
      level: 'info',
    })
    expect(viewMode({ ...TERMINAL, verbose: true, askedLevel: 'debug' })).toEqual({
      view: false,
      level: 'debug',
    })
    expect(viewMode({ ...TERMINAL, stderrIsTTY: false, verbose: true })).toEqual({
      view: false,
      level: 'info',
    })
  })
})

describe('envLevel', () => {
  it('is the level the environment asks for, if any; levelFromEnv falls back as before', () => {
    expect(envLevel({})).toBeUndefined()
    expect(envLevel({ LOG_LEVEL: 'INFO' })).toBe('info')
    expect(envLevel({ TAP_POSTGRES_LOGLEVEL: 'warn' })).toBe('warning')
    expect(envLevel({ LOG_LEVEL: 'bogus', LOGLEVEL: 'critical' })).toBe('error')
    expect(levelFromEnv({}, false, 'warning')).toBe('warning')
    expect(levelFromEnv({ LOG_LEVEL: 'error' }, true)).toBe('debug')
  })
})
