import type { TlsMode } from '../../shared/settings.ts'
import type { Draft } from './SettingsForm.ts'

/**
 * Use TLS as one choice: the schema keeps useTls and tlsMode, the admin picks one of these. 'none' is Use TLS off,
 * which still upgrades with STARTTLS where the relay offers it (Postfix's smtp_tls_security_level=may).
 */
export type TlsChoice = 'none' | 'starttls' | 'implicit' | 'auto'

export const TLS_CHOICE_LABELS: Record<TlsChoice, string> = {
  none: 'None required (STARTTLS if offered) — port 25',
  starttls: 'STARTTLS — port 587',
  implicit: 'Implicit TLS — port 465',
  auto: 'Automatic by port — implicit TLS on 465, STARTTLS elsewhere',
}

export function tlsChoiceOf(draft: Pick<Draft, 'useTls' | 'tlsMode'>): TlsChoice {
  return draft.useTls ? draft.tlsMode : 'none'
}

/** The schema's two fields for a choice; None keeps the saved mode, which Use TLS off ignores. */
export function tlsFieldsOf(choice: TlsChoice, current: TlsMode): Pick<Draft, 'useTls' | 'tlsMode'> {
  return choice === 'none' ? { useTls: false, tlsMode: current } : { useTls: true, tlsMode: choice }
}

/** What the picked choice does, said under Use TLS; direct sending always uses port 25. */
export function tlsChoiceHint(choice: TlsChoice, direct: boolean): string {
  if (direct) {
    return choice === 'none'
      ? 'Direct sending: port 25 of each recipient’s mail server, encrypted with STARTTLS when it offers it, in clear otherwise.'
      : 'Direct sending: port 25 of each recipient’s mail server, and only with STARTTLS: a server that does not offer it gets no mail.'
  }
  switch (choice) {
    case 'none':
      return 'No encryption required: STARTTLS is used when the relay offers it; otherwise mail goes in clear. Blank Relay Port means 25.'
    case 'starttls':
      return 'Encryption required: the connection starts plain and must switch with STARTTLS. Blank Relay Port means 587.'
    case 'implicit':
      return 'Encryption required: TLS from the first byte (SMTPS). Blank Relay Port means 465.'
    case 'auto':
      return 'Encryption required: implicit TLS when Relay Port is 465, STARTTLS on any other port. Blank Relay Port means 587.'
  }
}
