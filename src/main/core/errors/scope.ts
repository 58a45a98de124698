// How far each cause reaches: a failure that stops every delivery is an error
// the admin must act on; one that touches a single message or recipient is a
// warning the queue handles by retrying. Keyed by CauseId, so a new cause in
// the catalogue does not compile until its reach is decided here.

import type { SettingsField } from '../../../shared/labels.ts'
import type { CauseId, Particulars } from './catalogue.ts'

/**
 * `all`: every delivery stops, whatever the mode (the sign-in settings, the relay's name, the workstation offline).
 * `server`: every delivery to that server stops: all the mail through a relay, one domain's when direct.
 * `message`: this message or recipient only; the rest of the queue goes on.
 */
export type Scope = 'all' | 'server' | 'message'

/** A setting the admin can change, or the Password (stored apart, but on the same form). */
export type FixField = SettingsField | 'password'

export type Reach =
  | { scope: 'message' }
  | {
      scope: 'all' | 'server'
      /** A few words for the dashboard's health line: "connection refused by 127.0.0.1:1". */
      brief: (p: Particulars) => string
      /** The settings to check first, in order (none when nothing in the settings helps). */
      check: FixField[]
    }

function at(p: Particulars, fallback = 'the server'): string {
  if (p.host && p.port) return `${p.host}:${p.port}`
  return p.host ?? fallback
}

const MESSAGE: Reach = { scope: 'message' }

export const REACH: Record<CauseId, Reach> = {
  // TLS against the port, and the server's certificate: every session with that server fails the same way.
  'tls-wrong-version': { scope: 'server', brief: (p) => `${at(p)} speaks plain SMTP where TLS mode expects implicit TLS`, check: ['tlsMode', 'relayPort'] },
  'plain-to-implicit-tls': { scope: 'server', brief: (p) => `${at(p)} expects implicit TLS and never greeted`, check: ['tlsMode', 'relayPort'] },
  'greeting-timeout': { scope: 'server', brief: (p) => `${at(p)} does not send its SMTP greeting`, check: ['relayHost', 'relayPort'] },
  'starttls-not-offered': { scope: 'server', brief: (p) => `${at(p)} offers no STARTTLS, which Use TLS requires`, check: ['useTls', 'relayPort'] },
  'starttls-required': { scope: 'server', brief: (p) => `${at(p)} accepts mail only over TLS`, check: ['useTls'] },
  'tls-handshake-failed': { scope: 'server', brief: (p) => `the TLS handshake with ${at(p)} fails`, check: ['tlsMode', 'relayPort'] },
  'cert-self-signed': { scope: 'server', brief: (p) => `the certificate of ${at(p)} is self-signed`, check: ['caPem'] },
  'cert-untrusted': { scope: 'server', brief: (p) => `the certificate of ${at(p)} is not trusted`, check: ['caPem'] },
  'cert-expired': { scope: 'server', brief: (p) => `the certificate of ${at(p)} has expired`, check: [] },
  'cert-not-yet-valid': { scope: 'server', brief: (p) => `the certificate of ${at(p)} is not valid yet`, check: [] },
  'cert-name-mismatch': { scope: 'server', brief: (p) => `the certificate of ${at(p)} names another host`, check: ['relayHost'] },
  'cert-invalid': { scope: 'server', brief: (p) => `the certificate of ${at(p)} cannot be verified`, check: ['caPem'] },

  // Signing in: only a relay asks for it, and it fails for every message alike.
  'auth-failed': { scope: 'all', brief: (p) => `${at(p, 'the relay')} rejects the Username and Password`, check: ['username', 'password'] },
  'auth-app-password-required': { scope: 'all', brief: (p) => `${at(p, 'the relay')} wants an app password`, check: ['password'] },
  'auth-temporary': { scope: 'server', brief: (p) => `${at(p, 'the relay')} cannot check the login for now`, check: [] },
  'auth-required': { scope: 'all', brief: (p) => `${at(p, 'the relay')} requires a login`, check: ['useSasl'] },
  'auth-not-offered': { scope: 'all', brief: (p) => `${at(p, 'the relay')} offers no login on this connection`, check: ['useTls', 'relayPort'] },
  'auth-needs-tls': { scope: 'all', brief: (p) => `${at(p, 'the relay')} logs in only over TLS`, check: ['useTls'] },
  'auth-tls-unavailable': { scope: 'all', brief: (p) => `${at(p, 'the relay')} offers no TLS to carry the Password`, check: ['useTls', 'relayPort'] },
  'secret-unreadable': { scope: 'all', brief: () => 'the saved Password cannot be opened (the keychain that sealed it is not available)', check: ['password'] },
  'auth-credentials-missing': { scope: 'all', brief: () => 'the Username or Password is empty', check: ['username', 'password'] },
  'oauth-endpoint-unreachable': { scope: 'all', brief: () => 'the token endpoint does not answer', check: [] },
  'oauth-secret-invalid': { scope: 'all', brief: () => 'Microsoft 365 refuses the Client secret', check: ['oauthCredential'] },
  'oauth-secret-expired': { scope: 'all', brief: () => 'the Client secret has expired', check: ['oauthCredential'] },
  'oauth-app-unknown': { scope: 'all', brief: () => 'the Client ID is unknown to the tenant', check: ['oauthClientId', 'oauthTenantId'] },
  'oauth-google-unauthorized': { scope: 'all', brief: () => 'Google refuses to act for the Username', check: ['username'] },
  'oauth-google-invalid-grant': { scope: 'all', brief: () => 'Google refuses the token request', check: ['username', 'oauthCredential'] },
  'oauth-client-refused': { scope: 'all', brief: () => 'the token endpoint refuses the app', check: ['oauthClientId', 'oauthCredential'] },
  'oauth-send-as-denied': { scope: 'all', brief: () => 'the app may not send as the Username', check: ['username'] },
  'smtp-auth-disabled': { scope: 'all', brief: () => 'SMTP AUTH is turned off for the mailbox', check: ['username'] },
  'oauth-token-refused': { scope: 'all', brief: (p) => `${at(p, 'the relay')} refuses the access token`, check: ['username', 'oauthScope'] },

  // What a server decides about this workstation or its sender holds for every message it is given.
  'relay-denied': { scope: 'server', brief: (p) => `${at(p)} refuses to relay`, check: ['useSasl', 'relayHost'] },
  'sender-not-allowed': { scope: 'server', brief: (p) => `${at(p)} refuses the From Address`, check: ['fromAddress'] },
  'spf-failed': { scope: 'server', brief: (p) => `${at(p)} rejects mail from this IP by SPF`, check: ['fromAddress'] },
  'dmarc-failed': { scope: 'server', brief: (p) => `${at(p)} rejects mail from this domain by DMARC`, check: ['fromAddress', 'dkimEnabled'] },
  'ptr-missing': { scope: 'server', brief: (p) => `${at(p)} wants reverse DNS for this IP`, check: ['hostname'] },
  'helo-rejected': { scope: 'server', brief: (p) => `${at(p)} rejects the Hostname`, check: ['hostname'] },
  'ip-blocklisted': { scope: 'server', brief: (p) => `${at(p)} blocks this IP address`, check: ['relayHost'] },
  greylisted: MESSAGE,
  'content-rejected': MESSAGE,
  'policy-deferred': MESSAGE,
  'server-temporary': MESSAGE,
  'rate-limited': MESSAGE,
  'user-unknown': MESSAGE,
  'address-invalid': MESSAGE,
  'address-unsendable': MESSAGE,
  'mailbox-full': MESSAGE,
  'too-many-recipients': MESSAGE,
  'message-too-big': MESSAGE,

  // The server cannot be reached or does not speak SMTP.
  'server-unavailable': { scope: 'server', brief: (p) => `${at(p)} is not taking mail`, check: [] },
  'not-smtp-server': { scope: 'server', brief: (p) => `${at(p)} is not an SMTP server`, check: ['relayPort', 'relayHost'] },
  'protocol-error': { scope: 'server', brief: (p) => `${at(p)} breaks off the SMTP conversation`, check: ['relayPort'] },
  'connection-refused': { scope: 'server', brief: (p) => `connection refused by ${at(p)}`, check: ['relayPort', 'relayHost'] },
  'connection-timeout': { scope: 'server', brief: (p) => `no answer from ${at(p)}`, check: ['relayHost', 'relayPort'] },
  'network-unreachable': { scope: 'all', brief: (p) => `no network route to ${p.host ?? 'the server'}: this workstation looks offline`, check: [] },
  'dns-temporary': { scope: 'server', brief: (p) => `DNS does not answer for ${p.host ?? 'the server'}`, check: [] },
  'relay-host-not-found': { scope: 'all', brief: (p) => `the Relay Host ${p.host ?? ''} is not in DNS`.replace('  ', ' '), check: ['relayHost'] },
  'recipient-domain-not-found': MESSAGE,
  'mx-no-address': MESSAGE,
  // A dropped or stalled session is usually one message's bad luck; a server that always does it shows as deferrals piling up.
  'connection-lost': MESSAGE,
  'server-timeout': MESSAGE,

  expired: MESSAGE,
  aborted: MESSAGE,
  internal: MESSAGE,
  'unknown-temporary': MESSAGE,
  'unknown-permanent': MESSAGE,
}

/** Whether a failure stops every delivery: `all` always, `server` when that server is the relay all mail goes through. */
export function stopsEveryDelivery(cause: CauseId, throughRelay: boolean): boolean {
  const scope = REACH[cause].scope
  return scope === 'all' || (scope === 'server' && throughRelay)
}
