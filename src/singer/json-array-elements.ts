/**
 * The elements of one array member of a JSON document's top-level object (`{"streams": [...]}`),
 * each as its own text, read from a file a piece at a time. A catalog of 5,000 tables is ~46 MB of
 * text: reading it whole and parsing it at once held ~160 MB at the peak, while one element (one
 * stream) is a few KB. Each element's text is then parsed with JSON.parse.
 *
 * This only finds where elements start and end (brackets and strings, escapes included); it does not
 * check the grammar of the text it skips, which JSON.parse does for every element. stream-json was
 * measured for the same job and took 12.6 s for the 46 MB catalog against 2.2 s for JSON.parse of
 * the whole file (same machine, same load), which alone would spend the time budget of a
 * thousands-of-tables run.
 */
import { closeSync, openSync, readSync } from 'node:fs'

/** The document is not JSON as far as this reader can tell, or (`wrongShape`) it is not `{"<key>": [...]}`. */
export class JsonShapeError extends Error {
  constructor(
    message: string,
    readonly wrongShape = false,
  ) {
    super(message)
  }
}

const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
}

/**
 * Yields the text of each element of the array under `key` in the top-level object of the file at
 * `path`, in order. Throws JsonShapeError when the document is not an object, has no such array, or
 * ends early or unbalanced.
 */
export function* arrayElementsOfFile(path: string, key: string, chunkBytes = 1 << 20): Generator<string> {
  const fd = openSync(path, 'r')
  try {
    yield* arrayElements(
      (function* () {
        for (;;) {
          const buf = Buffer.allocUnsafe(chunkBytes)
          const n = readSync(fd, buf, 0, chunkBytes, null)
          if (n === 0) return
          yield buf.subarray(0, n)
        }
      })(),
      key,
    )
  } finally {
    closeSync(fd)
  }
}

/** As arrayElementsOfFile, over the document's bytes in any pieces. */
export function* arrayElements(chunks: Iterable<Buffer>, key: string): Generator<string> {
  const wanted = JSON.stringify(key)
  let depth = 0
  let inString = false
  let escaped = false
  let started = false
  let closed = false
  /** A key of the top-level object being read (its bytes, quotes included), and the last one read. */
  let keyBytes: number[] | undefined
  let lastKey: string | undefined
  let arrayFound = false
  let inArray = false
  /** The element being read: its bytes from earlier pieces, where it starts in this one, its kind. */
  let carry: Buffer[] = []
  let elementStart = -1
  let bracketed = false

  for (const chunk of chunks) {
    if (elementStart >= 0) elementStart = 0
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]
      if (inString) {
        keyBytes?.push(b)
        if (escaped) escaped = false
        else if (b === BACKSLASH) escaped = true
        else if (b === QUOTE) {
          inString = false
          if (keyBytes !== undefined) {
            lastKey = Buffer.from(keyBytes).toString('utf8')
            keyBytes = undefined
          }
        }
        continue
      }
      if (isSpace(b)) continue
      if (closed) throw new JsonShapeError('text after the end of the document')
      if (!started) {
        if (b !== OPEN_OBJECT) throw new JsonShapeError('expected an object', true)
        started = true
        depth = 1
        continue
      }
      // An element of the array starts at its first byte (depth 2 is the array's own level).
      if (inArray && depth === 2 && elementStart < 0 && b !== COMMA && b !== CLOSE_ARRAY) {
        elementStart = i
        bracketed = b === OPEN_OBJECT || b === OPEN_ARRAY
      }
      let elementEnd = -1
      switch (b) {
        case QUOTE:
          inString = true
          // A string at depth 1 with no key before it is a key of the top-level object.
          if (depth === 1 && lastKey === undefined) keyBytes = [b]
          break
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (depth === 1 && b === OPEN_ARRAY && lastKey === wanted) {
            if (arrayFound) throw new JsonShapeError(`"${key}" appears twice`, true)
            arrayFound = true
            inArray = true
          }
          depth++
          break
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          depth--
          if (depth < 0) throw new JsonShapeError('unbalanced brackets')
          if (elementStart >= 0 && depth === 2 && bracketed) elementEnd = i + 1
          else if (elementStart >= 0 && depth === 1 && !bracketed) elementEnd = i
          if (inArray && depth === 1) inArray = false
          if (depth === 0) closed = true
          break
        case COMMA:
          if (depth === 1) lastKey = undefined
          else if (elementStart >= 0 && depth === 2 && !bracketed) elementEnd = i
          break
        default:
          break
      }
      if (elementEnd >= 0) {
        const last = chunk.subarray(elementStart, elementEnd)
        yield (carry.length === 0 ? last : Buffer.concat([...carry, last])).toString('utf8').trim()
        carry = []
        elementStart = -1
      }
    }
    if (elementStart >= 0) carry.push(chunk.subarray(elementStart))
  }
  if (inString || depth !== 0 || !started) throw new JsonShapeError('the document ends early')
  if (!arrayFound) throw new JsonShapeError(`no "${key}" array`, true)
}
