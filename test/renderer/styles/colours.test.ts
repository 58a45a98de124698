import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

// Every colour lives in tokens.css, so a state colour is changed in one place
// and the parts (tables, badges, chart) cannot drift apart.

const RENDERER = join(import.meta.dirname, '..', '..', '..', 'src', 'renderer')
const STYLES = join(RENDERER, 'styles')
const TOKENS = join(STYLES, 'tokens.css')
const COLOUR = /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?)\(/gi

const read = (file: string) => readFileSync(file, 'utf8')
const stylesheets = readdirSync(STYLES)
  .filter((f) => f.endsWith('.css'))
  .map((f) => join(STYLES, f))
const sources = readdirSync(RENDERER, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(tsx?|html)$/.test(f))
  .map((f) => join(RENDERER, f))

function tokens(): Map<string, string> {
  const css = read(TOKENS)
  return new Map([...css.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]))
}

describe('colours', () => {
  it('are named only in tokens.css', () => {
    expect(stylesheets.length).toBeGreaterThan(5)
    expect(sources.some((f) => f.endsWith('TrafficChart.tsx'))).toBe(true)
    const found: string[] = []
    for (const file of [...stylesheets, ...sources]) {
      if (file === TOKENS) continue
      read(file)
        .split('\n')
        .forEach((line, i) => {
          for (const m of line.matchAll(COLOUR)) found.push(`${relative(RENDERER, file)}:${i + 1}: ${m[0]}`)
        })
    }
    expect(found).toEqual([])
  })

  it('used by a stylesheet are all defined in tokens.css, which defines nothing else', () => {
    const defined = tokens()
    expect(defined.size).toBeGreaterThan(20)
    const missing = stylesheets.flatMap((file) => [...read(file).matchAll(/var\((--[\w-]+)\)/g)].map((m) => m[1]!).filter((name) => !defined.has(name)))
    expect(missing).toEqual([])
    // Only custom properties in the :root block: no rule of a part hides among the tokens.
    const rules = read(TOKENS).replace(/\/\*[\s\S]*?\*\//g, '').match(/[^{}]+\{/g) ?? []
    expect(rules.map((r) => r.trim())).toEqual([':root {'])
  })

  it('of the chart are the state colours of the report tables and badges', () => {
    const all = stylesheets.map(read).join('\n')
    // The declarations of the rule whose selector list holds exactly this selector.
    const rule = (selector: string): Record<string, string> => {
      const m = [...all.matchAll(/([^{}]+)\{([^}]*)\}/g)].find((r) => r[1]!.split(',').some((s) => s.trim() === selector))
      if (!m) throw new Error(`no rule for ${selector}`)
      return Object.fromEntries([...m[2]!.matchAll(/([\w-]+):\s*([^;]+);/g)].map((d) => [d[1]!, d[2]!.trim()]))
    }
    const state = { received: rule('.badge-received').color, delivered: rule('.tone-delivered').color, deferred: rule('.tone-deferred').color, bounced: rule('.tone-bounced').color }
    for (const [series, colour] of Object.entries(state)) {
      expect(colour, series).toMatch(/^var\(--[\w-]+\)$/)
      // The bar and its legend swatch.
      expect(rule(`.bar-${series}`), series).toEqual({ fill: colour, background: colour })
    }
    expect(rule('.problem-deferred')['border-top']).toBe(`3px solid ${state.deferred}`)
    expect(rule('.problem-bounced')['border-top']).toBe(`3px solid ${state.bounced}`)
  })
})
