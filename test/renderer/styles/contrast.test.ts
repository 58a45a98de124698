import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// Contrast computed from the tokens (WCAG 2.x relative luminance): text at least 4.5:1 (AA), the focus ring
// at least 3:1 against every background it can sit on (WCAG 1.4.11).

const STYLES = join(import.meta.dirname, '..', '..', '..', 'src', 'renderer', 'styles')
const tokens = new Map([...readFileSync(join(STYLES, 'tokens.css'), 'utf8').matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]))
const css = readdirSync(STYLES)
  .filter((f) => f.endsWith('.css'))
  .map((f) => readFileSync(join(STYLES, f), 'utf8'))
  .join('\n')
  .replace(/\/\*[\s\S]*?\*\//g, '')

function hex(token: string): string {
  const v = tokens.get(token)
  if (!v || !/^#[0-9a-f]{6}$/i.test(v)) throw new Error(`${token} is not a #rrggbb token: ${v}`)
  return v
}

function luminance(colour: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(hex(a)), luminance(hex(b))].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

/** The declarations of the rule whose selector list holds exactly this selector. */
function rule(selector: string): Record<string, string> {
  const m = [...css.matchAll(/([^{}]+)\{([^}]*)\}/g)].find((r) => r[1]!.split(',').some((s) => s.trim() === selector))
  if (!m) throw new Error(`no rule for ${selector}`)
  return Object.fromEntries([...m[2]!.matchAll(/([\w-]+):\s*([^;]+);/g)].map((d) => [d[1]!, d[2]!.trim()]))
}

const tokenOf = (value: string | undefined): string => /var\((--[\w-]+)\)/.exec(value ?? '')?.[1] ?? ''

describe('contrast', () => {
  it('of the sidebar focus ring is at least 3:1 against the sidebar, its current item and its hover', () => {
    // The sidebar's own ring where it has one, else the page's.
    const own = css.includes('.sidebar :focus-visible') ? rule('.sidebar :focus-visible') : rule(':focus-visible')
    const ring = tokenOf(own['outline-color'] ?? own.outline)
    for (const ground of ['--dark', '--dark-current', '--dark-hover']) expect(contrast(ring, ground), `${ring} on ${ground}`).toBeGreaterThanOrEqual(3)
  })

  it('of the focus ring on the page is at least 3:1 against the page and the panels', () => {
    const ring = tokenOf(rule(':focus-visible').outline)
    for (const ground of ['--bg', '--panel', '--row-alt', '--row-hover']) expect(contrast(ring, ground), `${ring} on ${ground}`).toBeGreaterThanOrEqual(3)
  })

  it('of text is at least WCAG AA (4.5:1)', () => {
    const pairs: [string, string][] = [
      ['--ink', '--bg'],
      ['--ink', '--panel'],
      ['--muted', '--bg'],
      ['--muted', '--panel'],
      ['--muted', '--row-alt'],
      ['--muted', '--head'],
      ['--muted', '--warn-bg'],
      ['--ink-soft', '--panel'],
      ['--accent', '--panel'],
      ['--accent', '--bg'],
      ['--accent-ink', '--accent'],
      ['--accent-ink', '--accent-hover'],
      ['--ok', '--ok-bg'],
      ['--warn', '--warn-bg'],
      ['--bad', '--bad-bg'],
      ['--grey', '--grey-bg'],
      ['--blue', '--blue-bg'],
      ['--queued', '--queued-bg'],
      ['--dark-ink', '--dark'],
      ['--dark-ink', '--dark-hover'],
      ['--on-dark', '--dark-current'],
    ]
    const failing = pairs.map(([fg, bg]) => [fg, bg, Number(contrast(fg, bg).toFixed(2))] as const).filter(([, , ratio]) => ratio < 4.5)
    expect(failing).toEqual([])
  })
})
