import { describe, expect, it } from 'vitest'
import { renderHstore } from '../../src/values/hstore.js'

/** hstore_out's form: `"k"=>"v"` pairs joined by ", ", `"` and `\` escaped, NULL bare. */
function hstoreText(pairs: Array<[string, string | null]>): string {
  const q = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`
  return pairs.map(([k, v]) => `${q(k)}=>${v === null ? 'NULL' : q(v)}`).join(', ')
}

describe('renderHstore', () => {
  it.each([
    ['', '{}'],
    ['"a"=>"1"', '{"a":"1"}'],
    ['"a"=>"1", "b"=>NULL', '{"a":"1","b":null}'],
    ['"n"=>"NULL"', '{"n":"NULL"}'],
    ['"NULL"=>NULL', '{"NULL":null}'],
    ['""=>""', '{"":""}'],
    ['"q"=>"say \\"hi\\""', '{"q":"say \\"hi\\""}'],
    ['"b\\\\s"=>"\\\\"', '{"b\\\\s":"\\\\"}'],
    ['"arrow"=>"a=>b", "comma"=>"x, y"', '{"arrow":"a=>b","comma":"x, y"}'],
    ['"sp ace"=>" lead and trail "', '{"sp ace":" lead and trail "}'],
    ['"nl"=>"a\nb", "ls"=>"\u2028"', '{"nl":"a\\nb","ls":"\\u2028"}'],
    ['"emoji 😀"=>"é€"', '{"emoji 😀":"é€"}'],
    ['"brace"=>"{}[]"', '{"brace":"{}[]"}'],
    // hstore_in's looser forms: bare tokens, any case NULL, extra white space.
    ['a=>1,b=>null', '{"a":"1","b":null}'],
    ['  "a" => "1" ,  b =>  NuLl  ', '{"a":"1","b":null}'],
    ['a\\ b=>c\\,d', '{"a b":"c,d"}'],
    ['"a"=>"1",', '{"a":"1"}'],
  ])('%j → %s', (text, json) => {
    expect(renderHstore(text)).toBe(json)
    expect(() => JSON.parse(renderHstore(text))).not.toThrow()
  })

  it.each(['"a"', '"a"=>', '"a"=>"1" "b"=>"2"', '"a=>"1"', '=>"1"', '"a"->"1"'])('rejects %j', (text) => {
    expect(() => renderHstore(text)).toThrow(/hstore/)
  })

  // Each tricky string is cut at every position; the halves become key and value (and a second
  // pair), so escapes, quotes, `=>` and commas meet the scanner's token boundaries at every offset.
  it('splits: every cut of tricky strings as key and value', () => {
    const tricky = ['a"b\\c=>d, "e"=>NULL\\', '\\\\""\\"', '=>,=> , ', 'NULL', ' "x"=>"y", ', '😀\u2028\n\t']
    for (const t of tricky) {
      for (let i = 0; i <= t.length; i++) {
        const key = t.slice(0, i)
        const value = t.slice(i)
        const pairs: Array<[string, string | null]> = [
          [key, value],
          [`${value}#`, null],
          [`#${key}`, key],
        ]
        const out = renderHstore(hstoreText(pairs))
        expect(JSON.parse(out)).toEqual(Object.fromEntries(pairs))
        expect(out).not.toMatch(/[\n\u2028]/)
      }
    }
  })
})
