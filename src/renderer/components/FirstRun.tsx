import { DEFAULT_SETTINGS } from '../../shared/settings.ts'
import type { Status } from '../../shared/types.ts'
import { href } from '../routes.ts'

// A first run: the seed's defaults (localhost.localdomain) are still in place, and mail sent with them
// is refused by receivers. Says what to set first and why, each step a link to its field.

const DEFAULT_DOMAIN = DEFAULT_SETTINGS.hostname

/** The defaults that no receiver accepts are still there: Hostname, or a From Address at localhost.localdomain. */
export function isFirstRun(s: Pick<Status, 'hostname' | 'from'>): boolean {
  return s.hostname === DEFAULT_DOMAIN || s.from.includes(`@${DEFAULT_DOMAIN}`)
}

interface Step {
  field: string
  label: string
  done: boolean
  why: string
}

export function FirstRun({ status }: { status: Pick<Status, 'hostname' | 'from' | 'mode'> }) {
  if (!isFirstRun(status)) return null
  const steps: Step[] = [
    {
      field: 'hostname',
      label: 'Hostname',
      done: status.hostname !== DEFAULT_DOMAIN,
      why: `This system’s full name (such as mail.example.com), sent in EHLO: receivers distrust a server that calls itself ${DEFAULT_DOMAIN}.`,
    },
    {
      field: 'fromAddress',
      label: 'From Address',
      done: !status.from.includes(`@${DEFAULT_DOMAIN}`),
      why: `An address at your own domain: mail from ${DEFAULT_SETTINGS.fromAddress} is rejected, as that domain exists nowhere.`,
    },
    {
      field: 'relayHost',
      label: 'Relay Host',
      done: status.mode === 'relay',
      why: `Your provider’s relay (pick it under Provider): direct delivery from ${DEFAULT_DOMAIN} will not work — most networks block outgoing port 25, and receivers refuse a sender without reverse DNS.`,
    },
  ]
  return (
    <section className="first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">Set these first</h2>
      <p>The settings are still the defaults: mail sent now will not arrive.</p>
      <ol>
        {steps.map((step) => (
          <li key={step.field} className={step.done ? 'done' : undefined}>
            <a href={href('/settings', { focus: step.field })}>{step.label}</a>
            {step.done ? ' — done. ' : ' — '}
            {step.why}
          </li>
        ))}
        <li>
          Then <a href={href('/send-test')}>Send Test Email</a> to an address you can read.
        </li>
      </ol>
    </section>
  )
}
