import { describe, expect, it } from 'vitest'
import { csvField } from '../../../src/main/core/reports/export-csv.ts'

// A CSV cell a spreadsheet would run as a formula is written as text: an
// envelope address may begin with = or +, and a reply is the server's text.

describe('csvField', () => {
  it('writes text that starts a formula with a leading apostrophe, quoted where RFC 4180 needs it', () => {
    expect(csvField('=1+2@example.com')).toBe("'=1+2@example.com")
    expect(csvField('+33 1 23 45 67 89')).toBe("'+33 1 23 45 67 89")
    expect(csvField('-ERR go away')).toBe("'-ERR go away")
    expect(csvField('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)")
    expect(csvField('\t=cmd')).toBe("'\t=cmd")
    expect(csvField('=HYPERLINK("http://x.example","y")')).toBe(`"'=HYPERLINK(""http://x.example"",""y"")"`)
  })

  it('leaves numbers, negative ones included, and ordinary text as they are', () => {
    expect(csvField(-5)).toBe('-5')
    expect(csvField(1200)).toBe('1200')
    expect(csvField(null)).toBe('')
    expect(csvField('alerts@example.test')).toBe('alerts@example.test')
    expect(csvField('550 5.1.1 a, b')).toBe('"550 5.1.1 a, b"')
    expect(csvField('a=b')).toBe('a=b')
  })
})
