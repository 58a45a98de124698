// The causes the decoder can name, each with what happened and what to try
// in the admin's words. Setting names are the console's labels, verbatim.

/** What a cause does to the message: retried later, or returned to the sender. */
export type Disposition = 'defer' | 'bounce'

/** The particulars of one failure, used to word its explanation. All optional: a stored cause id alone still reads well. */
export interface Particulars {
  host?: string
  port?: number
  tls?: 'none' | 'starttls' | 'implicit' | 'opportunistic'
  direct?: boolean
  saslConfigured?: boolean
  phase?: string
  /** The server's reply, first line, when there was one. */
  reply?: string
  /** The raw error message, when there was no reply. */
  message?: string
  /** Extra words from the error itself, e.g. the names a certificate was issued for. */
  detail?: string
}

export interface CauseEntry {
  summary: (p: Particulars) => string
  fix: (p: Particulars) => string
  /**
   * `reply`: follows the class of the server's reply (4xx defer, 5xx bounce).
   * A fixed value holds whatever the reply class was: a configuration problem
   * of ours waits in the queue for the admin, like Postfix defers on SASL failure.
   */
  disposition: Disposition | 'reply'
  /** RFC 3463 code used when the server gave none. */
  dsn: string
}

const LAST_RESORT =
  'Switching Verify certificate off also makes it work, but then anyone on the network path could read the mail and the password: use that only as a last resort.'

const FLUSH = 'The message waits in the queue; use Flush Queue once this is fixed.'

function server(p: Particulars): string {
  if (p.host && p.port) return `the server ${p.host}:${p.port}`
  if (p.host) return `the server ${p.host}`
  return 'the server'
}

function Server(p: Particulars): string {
  const s = server(p)
  return s[0]!.toUpperCase() + s.slice(1)
}

function onPort(p: Particulars): string {
  return p.port ? `port ${p.port}` : 'the SMTP port'
}

function quoted(p: Particulars): string {
  if (p.reply) return ` The server answered: "${p.reply}".`
  if (p.message) return ` The error was: "${p.message}".`
  return ''
}

// Direct delivery has no relay settings to change: TLS to an MX is verified only when Use TLS is on.
const DIRECT_TLS =
  "Direct delivery with Use TLS on insists on verified TLS with every recipient's mail server. Turn Use TLS off for direct delivery (STARTTLS is still used wherever it is offered), or send through a relay: enter a Relay Host."

function certFix(p: Particulars, relayFix: string): string {
  return p.direct ? DIRECT_TLS : `${relayFix} ${LAST_RESORT}`
}

const TLS_BY_PORT =
  'Turn on Use TLS: TLS mode STARTTLS for Relay Port 587 or 25, Implicit TLS for Relay Port 465 (Automatic picks by port).'

export const CATALOGUE = {
  // ── TLS mode against the port ────────────────────────────────────────
  'tls-wrong-version': {
    summary: (p) =>
      `TLS failed at once: we started the connection to ${server(p)} with TLS (implicit TLS), but the server answered in plain text ("wrong version number"). ${p.port ? `Port ${p.port}` : 'This port'} expects plain SMTP, upgraded with STARTTLS.`,
    fix: () =>
      'Set TLS mode to STARTTLS (or Automatic) for Relay Port 587 or 25, or set Relay Port to 465 if the provider offers implicit TLS there.',
    disposition: 'defer',
    dsn: '4.7.0',
  },
  'plain-to-implicit-tls': {
    summary: (p) =>
      `Connected to ${server(p)}, but it never sent its SMTP greeting. A port that expects TLS from the first byte (implicit TLS, usually 465) does exactly this when the client speaks plain SMTP or STARTTLS: it waits for a TLS handshake that never comes.`,
    fix: (p) =>
      p.port === 465
        ? 'For Relay Port 465, turn on Use TLS with TLS mode Implicit TLS (Automatic picks it on 465). Or use Relay Port 587 with TLS mode STARTTLS.'
        : `Turn on Use TLS with TLS mode Implicit TLS: Automatic picks it for Relay Port 465, on ${p.port ? `port ${p.port}` : 'any other port'} choose it yourself. Or use Relay Port 587 with TLS mode STARTTLS.`,
    disposition: 'defer',
    dsn: '4.4.2',
  },
  'greeting-timeout': {
    summary: (p) =>
      `Connected to ${server(p)}, but it did not send its SMTP greeting in time: it is overloaded, deliberately slow to greet (a spam defence), or something on the way holds the connection.`,
    fix: (p) =>
      `Nothing to change if it passes: the message is retried automatically. If it keeps happening, check that ${p.direct ? 'the network lets SMTP through untouched' : 'Relay Host and Relay Port point at an SMTP server'}, that no firewall or antivirus proxy intercepts ${onPort(p)}, or raise the greeting timeout under Advanced.`,
    disposition: 'defer',
    dsn: '4.4.2',
  },
  'starttls-not-offered': {
    summary: (p) =>
      p.direct
        ? `The recipient's mail server ${p.host ?? ''} does not offer STARTTLS, and Use TLS is on, which makes encryption required for direct delivery; nothing was sent.`.replace('  ', ' ')
        : `${Server(p)} does not offer STARTTLS, but this connection requires it (Use TLS is on); nothing was sent.`,
    fix: (p) =>
      p.direct
        ? 'Turn Use TLS off for direct delivery (STARTTLS is then still used wherever it is offered), or send through a relay: enter a Relay Host.'
        : 'If the server offers implicit TLS, set Relay Port to 465 and TLS mode to Implicit TLS. If it offers no TLS at all, turning Use TLS off sends the mail, and the Password, unencrypted: do that only on a network you trust.',
    disposition: 'defer',
    dsn: '4.7.4',
  },
  'starttls-required': {
    summary: (p) => `${Server(p)} accepts mail only over an encrypted connection, and this one was not encrypted.`,
    fix: () => `${TLS_BY_PORT} ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.0',
  },
  'tls-handshake-failed': {
    summary: (p) => `The TLS handshake with ${server(p)} failed${p.detail ? ` (${p.detail})` : ''}.`,
    fix: (p) =>
      p.direct
        ? `The recipient's mail server and this workstation found no TLS version or cipher in common. ${DIRECT_TLS}`
        : "Check that TLS mode matches Relay Port: Implicit TLS on 465, STARTTLS on 587 and 25. If it does, the server offers only TLS versions or ciphers this workstation refuses, or something on the network interferes: ask the server's admin.",
    disposition: 'defer',
    dsn: '4.7.0',
  },

  // ── Certificates ────────────────────────────────────────────────────
  'cert-self-signed': {
    summary: (p) =>
      `The certificate of ${server(p)} is self-signed (or signed by a private CA), so it cannot be checked against the trusted authorities; the connection was stopped before anything was sent.`,
    fix: (p) =>
      certFix(p, "Paste the server's certificate, or the private CA that signed it, in PEM form into CA certificate under Advanced."),
    disposition: 'defer',
    dsn: '4.7.5',
  },
  'cert-untrusted': {
    summary: (p) =>
      `The certificate of ${server(p)} was issued by an authority this workstation does not trust, or the server does not send its intermediate certificates.`,
    fix: (p) =>
      certFix(p, "Paste the issuing CA certificate (PEM) into CA certificate under Advanced, or ask the server's admin to serve the full certificate chain."),
    disposition: 'defer',
    dsn: '4.7.5',
  },
  'cert-expired': {
    summary: (p) => `The certificate of ${server(p)} has expired.`,
    fix: (p) => certFix(p, "Ask the server's admin to renew it; if the workstation's date is wrong, correct it first."),
    disposition: 'defer',
    dsn: '4.7.5',
  },
  'cert-not-yet-valid': {
    summary: (p) => `The certificate of ${server(p)} is not valid yet.`,
    fix: (p) =>
      `Check the workstation's date and time: a clock set in the past makes new certificates look not yet valid. ${p.direct ? DIRECT_TLS : LAST_RESORT}`,
    disposition: 'defer',
    dsn: '4.7.5',
  },
  'cert-name-mismatch': {
    summary: (p) =>
      `The certificate of ${server(p)} was issued for another name${p.detail ? ` (${p.detail})` : ''}, so it does not prove this is the server we meant to reach.`,
    fix: (p) =>
      certFix(p, "Set Relay Host to the name on the certificate (the provider's documented host name, not an IP address or an alias). A CA certificate does not help with a name mismatch."),
    disposition: 'defer',
    dsn: '4.7.5',
  },
  'cert-invalid': {
    summary: (p) => `The certificate of ${server(p)} could not be verified${p.detail ? ` (${p.detail})` : ''}.`,
    fix: (p) =>
      certFix(p, "If the server uses a private CA, paste it into CA certificate under Advanced; otherwise ask the server's admin to fix the certificate."),
    disposition: 'defer',
    dsn: '4.7.5',
  },

  // ── Authentication ──────────────────────────────────────────────────
  'auth-failed': {
    summary: (p) => `${Server(p)} rejected the Username and Password.`,
    fix: () =>
      `Check Username and Password under Use SASL Authorization (the Username is often the full email address). Gmail, Microsoft 365 and Yahoo refuse the account password for SMTP and need an app password, or SMTP AUTH enabled for the mailbox. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'auth-app-password-required': {
    summary: (p) =>
      `${Server(p)} refused this login for the account: it wants an app-specific password, or a sign-in in a web browser first.`,
    fix: () =>
      `Create an app password in the account's security settings and enter it as Password (keep Use SASL Authorization on), or sign in to the account once in a browser to clear a security block. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.9',
  },
  'auth-temporary': {
    summary: (p) => `${Server(p)} could not check the login right now (temporary authentication failure).`,
    fix: () =>
      'Nothing to change if it passes: the message is retried automatically. If it persists, check Username and Password under Use SASL Authorization.',
    disposition: 'defer',
    dsn: '4.7.0',
  },
  'auth-required': {
    summary: (p) =>
      p.saslConfigured === false
        ? `${Server(p)} requires a login before it accepts mail, and Use SASL Authorization is off.`
        : `${Server(p)} requires a login before it accepts mail.`,
    fix: (p) =>
      (p.saslConfigured === false
        ? "Turn on Use SASL Authorization and enter the Username and Password the relay's provider gave you, or ask the relay's admin to accept mail from this workstation's IP address without a login."
        : "Turn on Use SASL Authorization and enter the Username and Password the relay's provider gave you. If it is already on, the server did not offer login on this connection: turn on Use TLS, since most servers offer login only after STARTTLS.") +
      ` ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.0',
  },
  'auth-not-offered': {
    summary: (p) =>
      `${Server(p)} does not offer login (AUTH) on this connection, so the Username and Password could not be used. Most servers offer it only after STARTTLS, or only on the submission port 587.`,
    fix: () =>
      `Turn on Use TLS (STARTTLS on Relay Port 587, Implicit TLS on 465), and check Relay Port: port 25 of many providers accepts no logins. If this server needs no login, turn Use SASL Authorization off. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.0',
  },
  'auth-needs-tls': {
    summary: (p) => `${Server(p)} refuses to log in over an unencrypted connection, to keep the Password from travelling in clear.`,
    fix: () => `${TLS_BY_PORT} ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.11',
  },
  'auth-tls-unavailable': {
    summary: (p) =>
      `${Server(p)} offers no STARTTLS on this connection and Use TLS is off, so the session could not be encrypted. SMTP Console never sends the Password without TLS: it did not log in, and nothing was sent.`,
    fix: () =>
      `Turn on Use TLS with the relay's encrypted port: Relay Port 465 with TLS mode Implicit TLS, or 587 with STARTTLS (ask the relay's provider which it offers). If this relay needs no login, turn off Use SASL Authorization. Only on a network you trust, Allow password without TLS (unsafe) under Advanced sends the Password in clear. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.11',
  },
  'auth-credentials-missing': {
    summary: () => 'Use SASL Authorization is on, but the Username or Password is empty, so no login was attempted.',
    fix: () => `Enter the Username and Password under Use SASL Authorization, or turn it off if the relay needs no login. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.0',
  },

  'secret-unreadable': {
    summary: () => 'SMTP Console could not read the stored Password or OAuth 2.0 secret, so it did not log in and nothing was sent.',
    fix: () =>
      `When the reason names the OS keychain, unlock it (on Linux, the login keyring) and restart SMTP Console; otherwise enter the secret again in Edit Settings. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.0',
  },

  // ── OAuth 2.0 sign-in (XOAUTH2): the token endpoint, then the relay ──
  'oauth-endpoint-unreachable': {
    summary: (p) => `No access token could be fetched: the token endpoint did not answer.${quoted(p)} Nothing was sent to the relay.`,
    fix: () =>
      'Nothing to change if this workstation is offline: the message stays queued and is retried, with a new token, when the network is back. If it persists, check that the firewall or proxy lets this workstation reach the token endpoint over HTTPS (login.microsoftonline.com for Microsoft 365, oauth2.googleapis.com for Google, or the Token URL).',
    disposition: 'defer',
    dsn: '4.4.1',
  },
  'oauth-secret-invalid': {
    summary: () => 'Microsoft 365 refused the app’s Client secret (AADSTS7000215): it is not a current secret of the app. Often the secret’s ID was copied instead of its Value.',
    fix: () =>
      `In the Microsoft Entra admin center, open App registrations, the app, Certificates & secrets: create a new client secret and paste its Value (not its Secret ID) into Client secret in Edit Settings. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'oauth-secret-expired': {
    summary: () => 'Microsoft 365 refused the app’s Client secret because it has expired (AADSTS7000222).',
    fix: () =>
      `In the Microsoft Entra admin center, open App registrations, the app, Certificates & secrets: add a new client secret and paste its Value into Client secret in Edit Settings; note its expiry date, or use a certificate instead. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'oauth-app-unknown': {
    summary: () => 'Microsoft 365 knows no app with this Client ID in this tenant (AADSTS700016).',
    fix: () =>
      `Check Tenant ID and Client ID in Edit Settings against the app registration’s Overview page (Directory (tenant) ID and Application (client) ID). The app must be registered in the mailbox’s own tenant. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'oauth-google-unauthorized': {
    summary: () =>
      'Google refused to issue a token for the Username (unauthorized_client): the service account is not allowed to act for users of the domain with the scope https://mail.google.com/.',
    fix: () =>
      `In the Google Admin console, Security, Access and data control, API controls, Manage domain-wide delegation: add the service account’s client ID (a number, in the key file as client_id) with the scope https://mail.google.com/. It can take some minutes to apply. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'oauth-google-invalid-grant': {
    summary: (p) => `Google refused the service account’s signed request (invalid_grant).${quoted(p)}`,
    fix: () =>
      `Check that the Username is an existing user of the Google Workspace domain, that the service account key has not been deleted or disabled (paste a new Service account key (JSON) if it was), and that this workstation’s clock is right: the request is valid only for its hour. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'oauth-client-refused': {
    summary: (p) => `The token endpoint refused to give an access token.${quoted(p)}`,
    fix: () =>
      `Check the Sign-in method’s fields in Edit Settings: Tenant ID, Client ID, and the Client secret or Certificate and Private key (for another provider, also Token URL and Scope) against what the provider shows for this app. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },
  'oauth-send-as-denied': {
    summary: (p) =>
      `${Server(p)} refused the access token (535 5.7.3): the token is valid, but the app may not send as this mailbox. Microsoft 365 answers so when the app lacks the SMTP.SendAsApp permission, when Exchange Online has no service principal for it, or when that service principal has no permission on the mailbox.`,
    fix: () =>
      'In the Microsoft Entra admin center, give the app the API permission Office 365 Exchange Online, SMTP.SendAsApp (Application) and grant admin consent. Then in Exchange Online PowerShell: New-ServicePrincipal -AppId <Client ID> -ObjectId <the Enterprise application’s Object ID>, and Add-MailboxPermission -Identity <Username> -User <that service principal’s ID> -AccessRights FullAccess. Changes take up to an hour. ' +
      FLUSH,
    disposition: 'defer',
    dsn: '4.7.3',
  },
  'smtp-auth-disabled': {
    summary: (p) => `${Server(p)} has SMTP AUTH turned off for this mailbox or for the whole tenant (535 5.7.139), so no sign-in over SMTP is accepted.`,
    fix: () =>
      'In Exchange Online PowerShell, turn it on for the mailbox: Set-CASMailbox -Identity <Username> -SmtpClientAuthenticationDisabled $false (or, in the Microsoft 365 admin center, Users, the user, Mail, Manage email apps, Authenticated SMTP). A tenant-wide Set-TransportConfig -SmtpClientAuthenticationDisabled $true is overridden by the mailbox setting. With a password, Security defaults also block it: switch the Sign-in method to Microsoft 365 (OAuth 2.0). ' +
      FLUSH,
    disposition: 'defer',
    dsn: '4.7.139',
  },
  'oauth-token-refused': {
    summary: (p) => `${Server(p)} refused the access token, a freshly fetched one too.${quoted(p)}`,
    fix: () =>
      `Check that the Username is the mailbox the app may send as. For Google, the domain-wide delegation must include the scope https://mail.google.com/; for another provider, the Scope must be one the relay accepts for SMTP. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.7.8',
  },

  // ── Relay and sender policy ─────────────────────────────────────────
  'relay-denied': {
    summary: (p) =>
      p.saslConfigured
        ? `${Server(p)} refused to relay the message for this account ("relay access denied").`
        : `${Server(p)} refused to relay the message: it does not pass on mail for other domains from this workstation without a login ("relay access denied").`,
    fix: (p) =>
      p.direct
        ? "The recipient domain's mail server does not take mail for that domain: check the domain of the recipient address; if it is right, the domain's MX records point at the wrong server."
        : p.saslConfigured
        ? "The login worked but this account may not relay to these recipients: ask the relay's admin to allow it, and check that From Address is an address the account may send from."
        : "Turn on Use SASL Authorization with the relay's Username and Password, or ask the relay's admin to allow this workstation's IP address to relay (a trusted network or allow-list entry).",
    disposition: 'reply',
    dsn: '5.7.1',
  },
  'sender-not-allowed': {
    summary: (p) => `${Server(p)} does not let this login send with this From Address.`,
    fix: () =>
      "Set From Address to an address the relay account owns (often the Username itself), or ask the relay's admin to allow this From Address for the account.",
    disposition: 'reply',
    dsn: '5.7.1',
  },

  // ── The recipient's server judging this system ─────────────────────
  'spf-failed': {
    summary: () =>
      "The recipient's server rejected the message because the SPF check failed: the From Address domain does not list the IP address this system sends from.",
    fix: () =>
      'Publish (or extend) the SPF record of the From Address domain to include this system\'s public IP address, e.g. "v=spf1 ip4:203.0.113.7 -all"; or send through a relay (Relay Host) that the domain\'s SPF already allows.',
    disposition: 'reply',
    dsn: '5.7.23',
  },
  'dmarc-failed': {
    summary: () =>
      "The recipient's server rejected the message under the DMARC policy of the From Address domain: neither SPF nor DKIM passed for that domain.",
    fix: () =>
      "Make the SPF record of the From Address domain include this system's public IP address and publish a DMARC record (_dmarc.<domain>), or send through a relay (Relay Host) that is authorised to send for the domain and signs with DKIM.",
    disposition: 'reply',
    dsn: '5.7.26',
  },
  'ptr-missing': {
    summary: () =>
      "The recipient's server refused this system because its IP address has no reverse DNS (PTR) record, or the record does not match the name it greets with.",
    fix: () =>
      'Ask whoever runs the public IP address (the internet or hosting provider) to set its PTR record to the Hostname, make the Hostname resolve back to that address, and enter that fully qualified name as Hostname; or send through a relay (Relay Host).',
    disposition: 'reply',
    dsn: '5.7.25',
  },
  'helo-rejected': {
    summary: (p) => `${Server(p)} rejected the name this system greets with (HELO/EHLO), which is the Hostname setting.`,
    fix: () =>
      'Set Hostname to the fully qualified domain name of this system, one that resolves in public DNS to the address the mail leaves from (not "localhost" or an internal name).',
    disposition: 'reply',
    dsn: '5.7.1',
  },
  'ip-blocklisted': {
    summary: () =>
      "The recipient's server refused mail from this system's IP address: it is on a blocklist or has a poor sending reputation.",
    fix: () =>
      'Look up the public IP address on the blocklist named in the reply and follow its delisting steps; make sure SPF, DMARC and reverse DNS (PTR) for the Hostname are right so it does not happen again. Sending through a relay (Relay Host) with a good reputation avoids it.',
    disposition: 'reply',
    dsn: '5.7.1',
  },
  'content-rejected': {
    summary: (p) => `${Server(p)} rejected the message as spam or for its content.`,
    fix: () =>
      'Check the message for links, attachments or wording a spam filter dislikes; make sure SPF, DMARC and reverse DNS are right for the From Address domain and the Hostname, or send through a relay (Relay Host).',
    disposition: 'reply',
    dsn: '5.7.1',
  },
  greylisted: {
    summary: (p) =>
      `${Server(p)} greylisted the message: it asks senders it does not know to come back later, as a spam defence.`,
    fix: () =>
      'Nothing to do: this is normal. The message stays in the queue and is retried automatically; greylisting lets it through on a later attempt, usually within minutes.',
    disposition: 'reply',
    dsn: '4.7.1',
  },
  'policy-deferred': {
    summary: (p) =>
      `${Server(p)} turned the message away for now under one of its policies: a temporary refusal, not a verdict on the address.${quoted(p)}`,
    fix: () =>
      "Nothing to change if it passes: the message stays in the queue and is retried automatically. If it is still refused after some hours, the reply names the policy (a sender, recipient, reputation or content check): ask the server's admin about it, quoting the reply.",
    disposition: 'reply',
    dsn: '4.7.1',
  },
  'server-temporary': {
    summary: (p) =>
      `${Server(p)} had a temporary problem of its own ("local error in processing", what a 451 reply means) and asked to try again later.${quoted(p)}`,
    fix: () =>
      "Nothing to change here: the message stays in the queue and is retried automatically. If it keeps happening, the fault is on the server's side; its admin can find it in the server's logs.",
    disposition: 'reply',
    dsn: '4.3.0',
  },
  'rate-limited': {
    summary: (p) => `${Server(p)} is limiting how much mail this sender may send (a rate limit or a sending quota).`,
    fix: () =>
      'Nothing to change if it passes: deferred messages are retried automatically. If it keeps happening, lower the delivery concurrency under Advanced, spread the mail out, or ask the provider to raise the limit.',
    disposition: 'reply',
    dsn: '4.7.0',
  },

  // ── The recipient and the message ───────────────────────────────────
  'user-unknown': {
    summary: (p) => `${Server(p)} says the recipient address does not exist or accepts no mail.`,
    fix: () => 'Check the recipient address for typos. The message will not be retried for this recipient.',
    disposition: 'reply',
    dsn: '5.1.1',
  },
  'address-invalid': {
    summary: (p) => `${Server(p)} rejected an address as malformed.`,
    fix: () => 'Check the recipient address and the From Address for typos or stray characters.',
    disposition: 'reply',
    dsn: '5.1.3',
  },
  'address-unsendable': {
    summary: () =>
      'The address cannot be written into the SMTP envelope: it contains <, > or a line break. SMTP Console refused it before sending, as no server could be given it safely.',
    fix: () =>
      'The message will not be retried for this address. Correct the recipient address (or the From Address in Edit Settings, when it is the sender) and send the message again.',
    disposition: 'bounce',
    dsn: '5.1.3',
  },
  'mailbox-full': {
    summary: () => "The recipient's mailbox is full (over its quota).",
    fix: () =>
      'Nothing to fix on this side. While the server calls it temporary the message is retried; if it persists, reach the recipient another way.',
    disposition: 'reply',
    dsn: '4.2.2',
  },
  'too-many-recipients': {
    summary: (p) => `${Server(p)} accepts only so many recipients per message and refused the rest for now.`,
    fix: () => 'Nothing to do: the remaining recipients are retried automatically.',
    disposition: 'reply',
    dsn: '4.5.3',
  },
  'message-too-big': {
    summary: (p) => `The message is larger than ${server(p)} accepts${p.detail ? ` (${p.detail})` : ''}.`,
    fix: () =>
      "Send a smaller message (fewer or smaller attachments), or ask the server's admin to raise its size limit. It will not be retried as it is.",
    disposition: 'bounce',
    dsn: '5.3.4',
  },

  // ── The server's state ──────────────────────────────────────────────
  'server-unavailable': {
    summary: (p) => `${Server(p)} is not accepting mail right now (service not available) and closed the connection.`,
    fix: () =>
      "Nothing to change: the message is retried automatically. If it persists, the server may be down for maintenance or limiting connections: check with its admin.",
    disposition: 'reply',
    dsn: '4.3.2',
  },
  'not-smtp-server': {
    summary: (p) =>
      `${Server(p)} answered, but not like an SMTP server${p.reply ? ` (its first line was "${p.reply}")` : ''}.`,
    fix: (p) =>
      p.direct
        ? 'The host the recipient domain points to does not run an SMTP server on port 25; nothing to change here, the message is retried.'
        : 'Check Relay Host and Relay Port: that port belongs to another service (a web, IMAP or POP3 server, say). SMTP relays listen on 587, 465 or 25.',
    disposition: 'defer',
    dsn: '4.5.0',
  },
  'protocol-error': {
    summary: (p) => `The conversation with ${server(p)} broke off on a reply we did not expect.${quoted(p)}`,
    fix: () =>
      'The message is retried automatically. If it keeps failing, check Relay Port and look at the server\'s own logs.',
    disposition: 'defer',
    dsn: '4.5.0',
  },

  // ── Network ─────────────────────────────────────────────────────────
  'connection-refused': {
    summary: (p) =>
      `${Server(p)} refused the connection: nothing is listening on ${onPort(p)}, or a firewall rejects it.`,
    fix: (p) =>
      p.direct
        ? `The recipient's mail server refused port ${p.port ?? 25}. Outgoing port 25 is often blocked by firewalls and internet providers: make sure it is open, or send through a relay (Relay Host) on port 587. The message is retried automatically.`
        : `Check Relay Host and Relay Port (25, 587 or 465, as the provider documents). Make sure the firewall, and the internet provider, allow outgoing connections to ${onPort(p)}. The message is retried automatically.`,
    disposition: 'defer',
    dsn: '4.4.1',
  },
  'connection-timeout': {
    summary: (p) =>
      `No answer from ${server(p)}: the connection attempt timed out. Something drops the packets: a firewall, an internet provider blocking outgoing SMTP, or a wrong address.`,
    fix: (p) =>
      p.direct
        ? `Make sure outgoing port ${p.port ?? 25} is allowed by the firewall and the internet provider (many block port 25); if it is blocked, send through a relay (Relay Host) on port 587. The message is retried automatically.`
        : `Check Relay Host and Relay Port, and make sure the firewall and the internet provider allow outgoing connections to ${onPort(p)} (some block 25; 587 with STARTTLS usually works). The message is retried automatically.`,
    disposition: 'defer',
    dsn: '4.4.1',
  },
  'network-unreachable': {
    summary: (p) =>
      `This workstation has no route to ${p.host ?? 'the server'}: it looks offline, or the network is down.`,
    fix: () =>
      'Nothing to change in the settings: the message stays in the queue and will retry when the network is back. Use Flush Queue to retry at once after reconnecting.',
    disposition: 'defer',
    dsn: '4.4.1',
  },
  'dns-temporary': {
    summary: (p) => `The name ${p.host ?? 'of the server'} could not be looked up right now: DNS did not answer.`,
    fix: () =>
      'Usually the workstation is offline or its DNS server is unreachable: the message will retry when the network is back. If it persists, check the network connection and the DNS settings.',
    disposition: 'defer',
    dsn: '4.4.3',
  },
  'relay-host-not-found': {
    summary: (p) => `The Relay Host name ${p.host ?? ''} does not exist in DNS.`.replace('  ', ' '),
    fix: () => `Check the spelling of Relay Host, or enter the relay's IP address. ${FLUSH}`,
    disposition: 'defer',
    dsn: '4.4.4',
  },
  'recipient-domain-not-found': {
    summary: (p) =>
      `The recipient's domain ${p.host ?? ''} does not exist in DNS, or it names no mail server.`.replace('  ', ' '),
    fix: () => 'Check the domain of the recipient address for typos. The message will not be retried for this recipient.',
    disposition: 'bounce',
    dsn: '5.1.2',
  },
  'mx-no-address': {
    summary: (p) =>
      `The mail servers named by the recipient's domain${p.host ? ` ${p.host}` : ''} have no address in DNS, or DNS did not give one right now.`,
    fix: () =>
      'The message is retried automatically, in case DNS answers later. If it persists, check the domain of the recipient address; its owner may have broken MX records.',
    disposition: 'defer',
    dsn: '4.4.4',
  },
  'connection-lost': {
    summary: (p) =>
      `${Server(p)} dropped the connection ${p.phase === 'data' ? 'while the message was being sent' : 'before the delivery finished'}.`,
    fix: () =>
      'Nothing to change if it passes: the message is retried automatically. If it keeps happening, the server may be refusing the message without saying why (size, content filter), or a firewall or antivirus is cutting SMTP connections: check the server\'s logs.',
    disposition: 'defer',
    dsn: '4.4.2',
  },
  'server-timeout': {
    summary: (p) => `${Server(p)} stopped answering in the middle of the conversation.`,
    fix: () =>
      'Nothing to change if it passes: the message is retried automatically. If it keeps happening, the server is overloaded or something on the network stalls the connection.',
    disposition: 'defer',
    dsn: '4.4.2',
  },

  // ── Stored by the delivery code itself, never decoded from an error ──
  expired: {
    summary: () => 'The message outlived the maximal queue lifetime without being delivered, and was returned as undeliverable.',
    fix: () =>
      'Read the earlier deferrals of this message in the Mail Log: their cause is what kept it from leaving. To keep messages longer, raise Maximal queue lifetime under Advanced in Edit Settings.',
    disposition: 'bounce',
    dsn: '4.4.7',
  },
  aborted: {
    summary: () => 'The delivery was stopped before it finished: the message was deleted or held, or SMTP Console was stopping.',
    fix: () => 'Nothing to do: a message that is still in the queue is sent again later; a deleted one is gone.',
    disposition: 'defer',
    dsn: '4.3.0',
  },
  internal: {
    summary: () => 'SMTP Console itself failed while delivering (an internal error); the server was not at fault.',
    fix: () => 'The message is kept and retried automatically. Read the error in Logs; if it repeats, restart SMTP Console.',
    disposition: 'defer',
    dsn: '4.3.0',
  },

  // ── Anything else ───────────────────────────────────────────────────
  'unknown-temporary': {
    summary: (p) => `Delivery failed for now.${quoted(p)}`,
    fix: () =>
      'The message is retried automatically. If it keeps failing, read the full error in Logs and check Relay Host, Relay Port and Use TLS under Edit Settings.',
    disposition: 'defer',
    dsn: '4.0.0',
  },
  'unknown-permanent': {
    summary: (p) => `The server refused the message.${quoted(p)}`,
    fix: () =>
      "The message will not be retried. The server's reply says why: check the recipient address and the From Address, or ask the server's admin.",
    disposition: 'bounce',
    dsn: '5.0.0',
  },
} satisfies Record<string, CauseEntry>

/** A cause the decoder can name: a typo or a renamed cause is a compile error, not a crash at run time. */
export type CauseId = keyof typeof CATALOGUE

/** Whether a stored string (a log row written by any version) names a cause this version knows. */
export function isCauseId(s: string): s is CauseId {
  return Object.hasOwn(CATALOGUE, s)
}
