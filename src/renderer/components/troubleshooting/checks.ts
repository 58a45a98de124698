import type { Check, CheckVerdict } from '../../../shared/diagnostics.ts'
import { FIELD_LABELS, PASSWORD_LABEL } from '../../../shared/labels.ts'
import { plural } from '../../format.ts'

// How the page words the checks: the verdicts, the summary line, the setting
// a "Fix" opens, and the SMTP transcript of the connection checks.

export const VERDICT_WORDS: Record<CheckVerdict, string> = { pass: 'Passed', warn: 'Warning', fail: 'Problem', skip: 'Not checked' }
/** Shown beside the word, never instead of it. */
export const VERDICT_ICONS: Record<CheckVerdict, string> = { pass: '✓', warn: '!', fail: '✕', skip: '–' }

/** "2 problems, 1 warning", or "All checks passed"; null while nothing has arrived. */
export function summaryLine(checks: readonly Check[]): { text: string; worst: CheckVerdict } | null {
  if (checks.length === 0) return null
  const fails = checks.filter((c) => c.verdict === 'fail').length
  const warns = checks.filter((c) => c.verdict === 'warn').length
  const skips = checks.filter((c) => c.verdict === 'skip').length
  const notChecked = skips ? ` (${plural(skips, 'check')} could not be run)` : ''
  if (!fails && !warns) return { text: `All checks passed${notChecked}`, worst: 'pass' }
  const parts = [fails ? plural(fails, 'problem') : '', warns ? plural(warns, 'warning') : ''].filter(Boolean)
  return { text: parts.join(', '), worst: fails ? 'fail' : 'warn' }
}

/** A setting as Edit Settings labels it ("the Password" is not a settings field, but "Fix" may open it). */
export function fieldLabel(field: string): string {
  if (field === 'password') return PASSWORD_LABEL
  return (FIELD_LABELS as Record<string, string>)[field] ?? field
}

const TRANSCRIPT_LINE = /^(S|C): |^\* {1,2}/

/**
 * The SMTP session of the relay or MX checks, credentials already hidden by the engine. Each check carries
 * the session up to its own step; relay.sender carries the envelope part after the others.
 */
export function connectionTranscript(checks: readonly Check[]): string[] {
  const linesOf = (c: Check) => (c.detail ?? '').split('\n').filter((l) => TRANSCRIPT_LINE.test(l))
  const session = checks.filter((c) => (c.id.startsWith('relay.') || c.id.startsWith('direct.')) && c.id !== 'relay.sender')
  const longest = session.map(linesOf).reduce<string[]>((a, b) => (b.length > a.length ? b : a), [])
  const sender = checks.find((c) => c.id === 'relay.sender')
  return [...longest, ...(sender ? linesOf(sender) : [])]
}

/** The heading of a check's group. */
export function sectionOf(check: Check): 'relay' | 'direct' | 'dns' {
  return check.id.startsWith('relay.') ? 'relay' : check.id.startsWith('direct.') ? 'direct' : 'dns'
}
