import { TapError } from '../errors.js'

/**
 * The server printed something the renderer does not understand. Values come from PostgreSQL's own
 * output functions, so this is a bug in the tap (a text form not handled), not bad user input.
 * Only the start of the value is shown: enough to recognise the form, without dumping a whole row
 * of user data into the log.
 */
export function unexpectedText(what: string, text: string): TapError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text
  return new TapError(
    'INTERNAL',
    `cannot render ${what} value from the server's text ${JSON.stringify(shown)}`,
  )
}
