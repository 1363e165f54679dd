/**
 * The logical decoding plugins every LOG_BASED end-to-end test runs on. A test that streams changes
 * is written once and parameterised over this list (`describe.each(LOG_BASED_PLUGINS)`), so a new
 * plugin is covered by adding it here. Today the tap streams through wal2json only; pgoutput joins
 * this list when its decoder lands.
 */
export const LOG_BASED_PLUGINS = ['wal2json'] as const
export type LogBasedPlugin = (typeof LOG_BASED_PLUGINS)[number]
