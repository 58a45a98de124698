import type { Check } from '../../../shared/diagnostics.ts'
import type { EffectiveTls } from '../../../shared/settings.ts'
import { decodeFailure } from '../errors/decoder.ts'
import { check, type DiagnosticsContext } from './run.ts'
import { replyText, type SmtpProbe } from './smtp-probe.ts'

// relay.sender: may this system send through the relay? MAIL FROM with the
// From Address and RCPT TO an address of the recipient domain, then RSET and
// QUIT: the relay's answer to an envelope, with no DATA, so nothing is sent.

export interface SenderTarget {
  host: string
  port: number
  tls: EffectiveTls
  commandMs: number
  title: string
}

/** Asks the relay about one envelope on a signed-in (or anonymous) session, then ends the session. */
export async function senderCheck(probe: SmtpProbe, ctx: DiagnosticsContext, t: SenderTarget): Promise<Check> {
  const started = Date.now()
  const s = ctx.settings
  const from = s.fromAddress
  const fromDomain = from.slice(from.lastIndexOf('@') + 1)
  const to = ctx.recipientAddress ?? `postmaster@${ctx.recipientDomain ?? fromDomain}`
  const mark = probe.transcript.length
  const mail = await probe.command(`MAIL FROM:<${from}>`, t.commandMs)
  const rcpt = mail.code === 250 ? await probe.command(`RCPT TO:<${to}>`, t.commandMs) : null
  await probe.quit(t.commandMs, true)
  const notes = [
    ctx.recipientDomain ? '' : "No recipient domain was named, so the From Address's own postmaster was asked: a relay may take that without relaying. Name the domain your mail goes to for a real test.",
    'Nothing was sent: the envelope was reset (RSET) before any DATA.',
  ].filter(Boolean)
  const detail = [...notes, '', ...probe.transcript.slice(mark)].join('\n')
  if (rcpt && (rcpt.code === 250 || rcpt.code === 251)) {
    return check('relay.sender', t.title, 'pass', `The relay accepts mail from ${from} to ${to}.`, started, { detail })
  }
  const failed = rcpt ?? mail
  const said = replyText(failed)
  const what = rcpt ? `RCPT TO:<${to}>` : `MAIL FROM:<${from}>`
  const decoded = decodeFailure(
    { message: said, response: said, responseCode: failed.code, command: what },
    { phase: rcpt ? 'rcpt' : 'mail', host: t.host, port: t.port, tls: t.tls, direct: false, saslConfigured: s.useSasl },
  )
  // Relaying refused is fixed by signing in, or, signed in, by a From Address the account may use.
  const field = decoded.cause === 'relay-denied' || decoded.cause === 'auth-required' ? (s.useSasl ? 'fromAddress' : 'useSasl') : rcpt ? undefined : 'fromAddress'
  return check('relay.sender', t.title, failed.code < 500 ? 'warn' : 'fail', `${decoded.summary.replace(/\.$/, '')} (answer to ${what}: "${said}").`, started, {
    // The catalogue speaks of a queued message; a check has none.
    fix: decoded.fix.replace(/ ?The message waits in the queue; use Flush Queue once this is fixed\.$/, ''),
    ...(field ? { field } : {}),
    detail,
  })
}
