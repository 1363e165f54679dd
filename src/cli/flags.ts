import { Flags } from '@oclif/core'

/** Flags shared by every command; defined once. */
export const globalFlags = {
  debug: Flags.boolean({
    description: 'Log at debug level and show stack traces of internal errors.',
    default: false,
  }),
  'log-format': Flags.string({ description: 'Log line format on stderr.', options: ['text', 'json'] }),
}

export const configFlag = {
  config: Flags.string({
    char: 'c',
    description:
      'Config JSON file; repeatable, later files win. ENV: read every setting from TAP_POSTGRES_* variables and ./.env (variables already set win over .env); with files, the variables win over the files.',
    multiple: true,
  }),
}

export const stateFlag = {
  state: Flags.string({ description: 'Singer STATE JSON file to resume from.' }),
}

export const catalogFlags = {
  catalog: Flags.string({ description: 'Singer catalog JSON file (from --discover, with selections).' }),
  properties: Flags.string({ description: 'Older alias of --catalog.' }),
}

/** sync only: the live progress view on a terminal (src/log/view-mode.ts). */
export const progressFlags = {
  progress: Flags.boolean({
    description:
      'On a terminal, show a live progress view on stderr instead of info log lines; --no-progress prints the lines.',
    default: true,
    allowNo: true,
  }),
  verbose: Flags.boolean({
    description: 'Log at info level (on a terminal: the log lines instead of the live progress view).',
    default: false,
  }),
}
