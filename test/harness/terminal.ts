/**
 * What a terminal shows after some output: enough of a VT100 to replay what log-update writes
 * (cursor up/down/column 0, erase line, erase to end of line, CR, LF), so a test can assert on the
 * screen a person sees rather than on escape sequences. The screen is the whole scrollback (no
 * height), lines do not wrap; other escape sequences (cursor visibility, synchronized output) draw
 * nothing and are ignored.
 */
export function renderScreen(output: string): string[] {
  const lines: string[] = ['']
  let row = 0
  let col = 0
  const put = (ch: string): void => {
    const chars = [...(lines[row] ?? '')]
    while (chars.length < col) chars.push(' ')
    chars[col] = ch
    lines[row] = chars.join('')
    col++
  }
  const down = (n: number): void => {
    row += n
    while (lines.length <= row) lines.push('')
  }
  const chars = [...output]
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]
    if (ch === '\u001B') {
      // CSI: ESC [ params final; anything else is skipped with the next character.
      if (chars[i + 1] !== '[') {
        i++
        continue
      }
      let j = i + 2
      let params = ''
      while (j < chars.length && /[0-9;?]/.test(chars[j])) params += chars[j++]
      const final = chars[j]
      const n = params === '' ? 1 : Number(params.split(';')[0])
      if (!params.startsWith('?')) {
        if (final === 'A') row = Math.max(0, row - n)
        else if (final === 'B') down(n)
        else if (final === 'G') col = 0
        else if (final === 'K') lines[row] = params === '2' ? '' : [...lines[row]].slice(0, col).join('')
      }
      i = j
      continue
    }
    if (ch === '\r') col = 0
    else if (ch === '\n') {
      down(1)
      col = 0
    } else put(ch)
  }
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop()
  return lines.map((l) => l.trimEnd())
}

/** The text with escape sequences removed (every frame ever drawn, one after another). */
export function stripAnsi(output: string): string {
  return output.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
}
