import { Flags } from '@oclif/core'

/** Flags shared by every command; defined once. */
export const globalFlags = {
  debug: Flags.boolean({ description: 'Log at debug level and show stack traces of internal errors.', default: false }),
  'log-format': Flags.string({ description: 'Log line format on stderr.', options: ['text', 'json'] }),
}

export const configFlag = {
  config: Flags.string({
    char: 'c',
    description: 'Config JSON file; repeatable, later files win. ENV: read every setting from TAP_POSTGRES_* variables and ./.env (variables already set win over .env); with files, the variables win over the files.',
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
