import { effectiveRelayPort, effectiveTls, type SettingsFields } from '../../../shared/settings.ts'

// Edit Settings' fields as main.cf parameters, both ways. Reading maps each
// parameter to the console's meaning; writing keeps a parameter's value
// whenever it already means what the form asks (relayhost = mail.example:587
// is left alone for Relay Host mail.example, Relay Port 587), so a save
// changes only the lines whose meaning changes.

/** The main.cf parameters Edit Settings reads and writes; every other one is never touched. */
export const MAIN_CF_PARAMS = [
  'relayhost',
  'smtp_tls_security_level',
  'smtp_tls_wrappermode',
  'smtp_sasl_auth_enable',
  'smtp_sasl_password_maps',
  'smtp_sasl_security_options',
  'smtp_sasl_tls_security_options',
  'myhostname',
] as const
export type MainCfParam = (typeof MAIN_CF_PARAMS)[number]
export type MainCfValues = Record<MainCfParam, string>

/** The levels that require TLS; verify, secure, dane-only and fingerprint also check the certificate. */
const REQUIRED_LEVELS = ['encrypt', 'verify', 'secure', 'dane-only', 'fingerprint']
const VERIFYING_LEVELS = ['verify', 'secure', 'dane-only', 'fingerprint']

export interface Relayhost {
  host: string
  /** Null: Postfix's default, the smtp service (25). */
  port: number | null
}

/** relayhost as Postfix reads it: `[host]:port`, `host:port`, `[host]`, `host`, blank for direct delivery to MX. */
export function parseRelayhost(value: string): Relayhost {
  // Several destinations (a fallback list) are tried in order: the console shows the first.
  const first = value.trim().split(/[\s,]+/)[0] ?? ''
  if (first === '') return { host: '', port: null }
  const bracketed = /^\[(?:ipv6:)?([^\]]+)\](?::(\d+))?$/i.exec(first)
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : null }
  const plain = /^([^:]+)(?::(\d+))?$/.exec(first)
  if (plain) return { host: plain[1]!, port: plain[2] ? Number(plain[2]) : null }
  return { host: first, port: null }
}

/** The relayhost the console writes: always bracketed, since Relay Host is the host to connect to, not a domain whose MX to look up. */
export function formatRelayhost(host: string, port: number): string {
  return port === 25 ? `[${host}]` : `[${host}]:${port}`
}

const yes = (v: string) => v.trim().toLowerCase() === 'yes'
const words = (v: string) => v.toLowerCase().split(/[\s,]+/).filter(Boolean)

/** What main.cf says, as the fields it holds; the others are the caller's. */
export function fieldsOfMainCf(p: MainCfValues, kept: Pick<SettingsFields, 'tlsMode' | 'verifyCertificate'>): Pick<SettingsFields, 'relayHost' | 'relayPort' | 'useTls' | 'tlsMode' | 'verifyCertificate' | 'useSasl' | 'allowPlainAuth' | 'hostname'> {
  const relay = parseRelayhost(p.relayhost)
  const wrapper = yes(p.smtp_tls_wrappermode)
  const level = p.smtp_tls_security_level.trim().toLowerCase()
  const useTls = wrapper || REQUIRED_LEVELS.includes(level)
  // Use TLS off keeps the mode saved before, as the form does; on, main.cf decides it.
  const tlsMode = useTls ? (wrapper ? 'implicit' : 'starttls') : kept.tlsMode
  const tls = { useTls, tlsMode, relayHost: relay.host }
  // Postfix's default port is 25 whatever the TLS; the console's blank port means 465 or 587 with TLS, so say 25 then.
  const relayPort = relay.host === '' ? null : relay.port ?? (effectiveRelayPort({ ...tls, relayPort: null }) === 25 ? null : 25)
  return {
    relayHost: relay.host,
    relayPort,
    useTls,
    tlsMode,
    verifyCertificate: useTls ? VERIFYING_LEVELS.includes(level) : kept.verifyCertificate,
    useSasl: yes(p.smtp_sasl_auth_enable),
    allowPlainAuth: !words(p.smtp_sasl_security_options).includes('noplaintext'),
    hostname: p.myhostname.trim(),
  }
}

/**
 * The values main.cf should hold for `next`: each parameter's current value
 * when it already means that, else the console's. `saslMap` is the
 * smtp_sasl_password_maps value of the console's own map.
 */
export function plannedMainCf(next: SettingsFields, current: MainCfValues, saslMap: string): MainCfValues {
  const planned: MainCfValues = { ...current }
  const kept = { tlsMode: next.tlsMode, verifyCertificate: next.verifyCertificate }
  const now = fieldsOfMainCf(current, kept)

  const port = next.relayHost === '' ? null : effectiveRelayPort(next)
  const nowPort = now.relayHost === '' ? null : parseRelayhost(current.relayhost).port ?? 25
  if (next.relayHost.toLowerCase() !== now.relayHost.toLowerCase() || port !== nowPort) {
    planned.relayhost = port === null ? '' : formatRelayhost(next.relayHost, port)
  }

  Object.assign(planned, plannedTls(next, current), plannedSasl(next, current, now.useSasl, saslMap))
  if (next.hostname.replace(/\.$/, '').toLowerCase() !== now.hostname.replace(/\.$/, '').toLowerCase()) planned.myhostname = next.hostname
  return planned
}

/** smtp_tls_security_level and smtp_tls_wrappermode for Use TLS, its mode and Verify certificate. */
function plannedTls(next: SettingsFields, current: MainCfValues): Partial<MainCfValues> {
  const planned: Partial<MainCfValues> = {}
  const tls = effectiveTls(next)
  const level = current.smtp_tls_security_level.trim().toLowerCase()
  if (tls === 'opportunistic') {
    // Use TLS off is "STARTTLS if offered" (may); an admin's explicit none is left as it is.
    if (!['', 'none', 'may'].includes(level)) planned.smtp_tls_security_level = 'may'
    if (yes(current.smtp_tls_wrappermode)) planned.smtp_tls_wrappermode = 'no'
    return planned
  }
  const verifying = VERIFYING_LEVELS.includes(level)
  // secure checks the relay's name as written; verify, for direct delivery, the MX host's name.
  if (next.verifyCertificate && !verifying) planned.smtp_tls_security_level = next.relayHost === '' ? 'verify' : 'secure'
  if (!next.verifyCertificate && level !== 'encrypt') planned.smtp_tls_security_level = 'encrypt'
  if (yes(current.smtp_tls_wrappermode) !== (tls === 'implicit')) planned.smtp_tls_wrappermode = tls === 'implicit' ? 'yes' : 'no'
  return planned
}

/** Use SASL Authorization: on, the console's map and security options that let PLAIN and LOGIN through. */
function plannedSasl(next: SettingsFields, current: MainCfValues, nowOn: boolean, saslMap: string): Partial<MainCfValues> {
  const planned: Partial<MainCfValues> = {}
  if (next.useSasl !== nowOn) planned.smtp_sasl_auth_enable = next.useSasl ? 'yes' : 'no'
  if (!next.useSasl) return planned
  if (current.smtp_sasl_password_maps.trim() !== saslMap) planned.smtp_sasl_password_maps = saslMap
  // Postfix's default (noplaintext, noanonymous) refuses PLAIN and LOGIN, which most relays offer, even over TLS.
  const plain = words(current.smtp_sasl_security_options)
  if (plain.includes('noplaintext') === next.allowPlainAuth || !plain.includes('noanonymous')) {
    planned.smtp_sasl_security_options = next.allowPlainAuth ? 'noanonymous' : 'noplaintext, noanonymous'
  }
  const overTls = words(current.smtp_sasl_tls_security_options)
  if (overTls.includes('noplaintext') || !overTls.includes('noanonymous')) planned.smtp_sasl_tls_security_options = 'noanonymous'
  return planned
}
