import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { promises as dnsPromises } from 'node:dns'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import SMTPConnection from 'nodemailer/lib/smtp-connection'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import dns2 from 'dns2'
import { CAUSES, decodeFailure, explainCause, type Decoded } from '../../../src/main/core/errors/decoder.ts'
import { toRawFailure, type FailureContext, type RawFailure } from '../../../src/main/core/errors/facts.ts'
import { CATALOGUE, isCauseId, type CauseId } from '../../../src/main/core/errors/catalogue.ts'
import { aborted, isAborted, type RecipientOutcome } from '../../../src/main/core/queue/outcome.ts'
import { answersTls } from '../../../src/main/core/delivery/tls-probe.ts'

// ── Shapes as nodemailer 10 builds them (see _formatError and the _action* handlers) ──

const PREFIX: Record<string, [message: string, code: string]> = {
  'MAIL FROM': ['Mail command failed', 'EENVELOPE'],
  'RCPT TO': ['Recipient command failed', 'EENVELOPE'],
  DATA: ['Message failed', 'EMESSAGE'],
  'AUTH PLAIN': ['Invalid login', 'EAUTH'],
  'AUTH LOGIN': ['Invalid login', 'EAUTH'],
  STARTTLS: ['Error upgrading connection with STARTTLS', 'ETLS'],
}

/** A server reply to `command`, wrapped the way nodemailer reports it. */
function reply(command: keyof typeof PREFIX | 'CONN', response: string): RawFailure {
  const responseCode = Number(response.slice(0, 3))
  if (command === 'CONN') {
    return { message: `Invalid greeting. response=${response}: ${response}`, code: 'EPROTOCOL', responseCode, response, command }
  }
  const [message, code] = PREFIX[command]!
  return { message: `${message}: ${response}`, code, responseCode, response, command }
}

interface Case {
  name: string
  raw: RawFailure
  ctx?: FailureContext
  cause: string
  disposition: 'defer' | 'bounce'
  dsn: string
  /** Setting labels (or words) the fix must name. */
  fix?: string[]
}

const relay: FailureContext = { host: 'smtp.example.com', port: 587, tls: 'starttls', direct: false, saslConfigured: true }
const relayNoSasl: FailureContext = { ...relay, saslConfigured: false }
const direct: FailureContext = { host: 'mx.example.net', port: 25, tls: 'opportunistic', direct: true, saslConfigured: false }

const CASES: Case[] = [
  // TLS mode against the port
  {
    name: 'implicit TLS against a STARTTLS port',
    raw: {
      message: '40AD4494A07F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:\n',
      code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', command: 'CONN',
    },
    ctx: { ...relay, tls: 'implicit' },
    cause: 'tls-wrong-version', disposition: 'defer', dsn: '4.7.0', fix: ['TLS mode', 'STARTTLS', 'Relay Port', '465'],
  },
  {
    name: 'older OpenSSL wording: packet length too long',
    raw: { message: 'write EPROTO 139855:error:1408F10B:SSL routines:ssl3_get_record:packet length too long', code: 'ESOCKET', originalCode: 'EPROTO', command: 'CONN' },
    cause: 'tls-wrong-version', disposition: 'defer', dsn: '4.7.0', fix: ['TLS mode'],
  },
  {
    name: 'plain SMTP against port 465: greeting never received',
    raw: { message: 'Greeting never received', code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'GREETING_TIMEOUT' },
    ctx: { ...relay, port: 465, tls: 'none' },
    cause: 'plain-to-implicit-tls', disposition: 'defer', dsn: '4.4.2', fix: ['Use TLS', 'Implicit TLS', 'Relay Port'],
  },
  {
    name: 'port 465 closes a plain client before greeting',
    raw: { message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN' },
    ctx: { ...relay, port: 465, tls: 'starttls', phase: 'greeting' },
    cause: 'plain-to-implicit-tls', disposition: 'defer', dsn: '4.4.2', fix: ['Implicit TLS'],
  },
  {
    name: 'slow greeting after implicit TLS is just a slow server',
    raw: { message: 'Greeting never received', code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'GREETING_TIMEOUT' },
    ctx: { ...relay, port: 465, tls: 'implicit' },
    cause: 'greeting-timeout', disposition: 'defer', dsn: '4.4.2',
  },
  {
    name: 'slow greeting of a recipient MX (tarpit) is not a TLS mismatch',
    raw: { message: 'Greeting never received', code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'GREETING_TIMEOUT' },
    ctx: direct,
    cause: 'greeting-timeout', disposition: 'defer', dsn: '4.4.2',
  },
  {
    name: 'STARTTLS required but refused',
    raw: reply('STARTTLS', '502 5.5.1 Error: command not implemented'),
    ctx: relay,
    cause: 'starttls-not-offered', disposition: 'defer', dsn: '4.5.1', fix: ['Relay Port', '465', 'Use TLS'],
  },
  {
    name: 'STARTTLS required but EHLO unsupported',
    raw: { message: 'EHLO failed but HELO does not support required STARTTLS. response=500 Syntax error: 500 Syntax error', code: 'ECONNECTION', responseCode: 500, response: '500 Syntax error', command: 'EHLO' },
    ctx: relay,
    cause: 'starttls-not-offered', disposition: 'defer', dsn: '4.7.4',
  },
  {
    name: 'TLS handshake timed out',
    raw: { message: 'TLS handshake timed out', code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'UPGRADE_TIMEOUT' },
    ctx: relay,
    cause: 'tls-handshake-failed', disposition: 'defer', dsn: '4.7.0',
  },
  {
    name: 'server offers only old TLS',
    raw: { message: 'C0D7:error:0A000102:SSL routines:ssl_choose_client_version:unsupported protocol:../deps/openssl/openssl/ssl/statem/statem_lib.c:1994:\n', code: 'ESOCKET', originalCode: 'ERR_SSL_UNSUPPORTED_PROTOCOL', command: 'CONN' },
    ctx: { ...relay, port: 465, tls: 'implicit' },
    cause: 'tls-handshake-failed', disposition: 'defer', dsn: '4.7.0', fix: ['TLS mode'],
  },

  // Certificates (messages as Node 24 words them)
  {
    name: 'self-signed certificate',
    raw: { message: 'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca', code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN' },
    ctx: relay,
    cause: 'cert-self-signed', disposition: 'defer', dsn: '4.7.5', fix: ['CA certificate', 'Verify certificate', 'last resort'],
  },
  {
    name: 'self-signed root in chain',
    raw: { message: 'self-signed certificate in certificate chain', code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', command: 'CONN' },
    cause: 'cert-self-signed', disposition: 'defer', dsn: '4.7.5', fix: ['CA certificate'],
  },
  {
    name: 'issuer unknown',
    raw: { message: 'unable to get local issuer certificate', code: 'ESOCKET', originalCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', command: 'CONN' },
    cause: 'cert-untrusted', disposition: 'defer', dsn: '4.7.5', fix: ['CA certificate', 'Verify certificate'],
  },
  {
    name: 'expired certificate',
    raw: { message: 'certificate has expired', code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', command: 'CONN' },
    cause: 'cert-expired', disposition: 'defer', dsn: '4.7.5', fix: ['Verify certificate'],
  },
  {
    name: 'certificate for another name',
    raw: {
      message: "Hostname/IP does not match certificate's altnames: Host: smtp.example.com. is not in the cert's altnames: DNS:mail.provider.example, DNS:smtp.provider.example",
      code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN',
      reason: "Host: smtp.example.com. is not in the cert's altnames: DNS:mail.provider.example, DNS:smtp.provider.example",
    },
    ctx: relay,
    cause: 'cert-name-mismatch', disposition: 'defer', dsn: '4.7.5', fix: ['Relay Host', 'Verify certificate'],
  },

  // Authentication
  {
    name: 'Gmail: bad credentials (multi-line 535)',
    raw: reply('AUTH PLAIN', '535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials'),
    ctx: relay,
    cause: 'auth-failed', disposition: 'defer', dsn: '4.7.8', fix: ['Username', 'Password', 'Use SASL Authorization'],
  },
  {
    name: 'Postfix: SASL failure',
    raw: reply('AUTH LOGIN', '535 5.7.8 Error: authentication failed: authentication failure'),
    ctx: relay,
    cause: 'auth-failed', disposition: 'defer', dsn: '4.7.8', fix: ['Password'],
  },
  {
    name: 'Gmail: app password required',
    raw: reply('AUTH PLAIN', '534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor'),
    ctx: relay,
    cause: 'auth-app-password-required', disposition: 'defer', dsn: '4.7.9', fix: ['app password', 'Password'],
  },
  {
    name: 'temporary authentication failure',
    raw: reply('AUTH PLAIN', '454 4.7.0 Temporary authentication failure'),
    ctx: relay,
    cause: 'auth-temporary', disposition: 'defer', dsn: '4.7.0',
  },
  {
    name: 'authentication required, SASL off',
    raw: reply('MAIL FROM', '530 5.7.0 Authentication required'),
    ctx: relayNoSasl,
    cause: 'auth-required', disposition: 'defer', dsn: '4.7.0', fix: ['Use SASL Authorization', 'Username', 'Password'],
  },
  {
    name: 'authentication required although SASL is on: AUTH was not offered',
    raw: reply('MAIL FROM', '530 5.7.0 Authentication required'),
    ctx: { ...relay, tls: 'none', port: 25 },
    cause: 'auth-not-offered', disposition: 'defer', dsn: '4.7.0', fix: ['Use TLS', 'Relay Port'],
  },
  {
    name: 'Microsoft 365: client not authenticated',
    raw: reply('MAIL FROM', '530 5.7.57 Client not authenticated to send mail. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]'),
    ctx: relayNoSasl,
    cause: 'auth-required', disposition: 'defer', dsn: '4.7.57', fix: ['Use SASL Authorization'],
  },
  {
    name: 'Postfix: authentication not enabled',
    raw: reply('AUTH PLAIN', '503 5.5.1 Error: authentication not enabled'),
    ctx: relay,
    cause: 'auth-not-offered', disposition: 'defer', dsn: '4.5.1', fix: ['Use TLS', 'Use SASL Authorization'],
  },
  {
    name: 'encryption required for the mechanism (RFC 4954)',
    raw: reply('AUTH PLAIN', '538 5.7.11 Encryption required for requested authentication mechanism'),
    ctx: { ...relay, tls: 'none' },
    cause: 'auth-needs-tls', disposition: 'defer', dsn: '4.7.11', fix: ['Use TLS'],
  },
  {
    name: 'Postfix: STARTTLS first',
    raw: reply('MAIL FROM', '530 5.7.0 Must issue a STARTTLS command first'),
    ctx: { ...relayNoSasl, tls: 'none' },
    cause: 'starttls-required', disposition: 'defer', dsn: '4.7.0', fix: ['Use TLS'],
  },
  {
    name: 'password missing',
    raw: { message: 'Missing credentials for "PLAIN"', code: 'EAUTH', command: 'API' },
    ctx: relay,
    cause: 'auth-credentials-missing', disposition: 'defer', dsn: '4.7.0', fix: ['Password'],
  },
  {
    name: 'nodemailer will not write the recipient into RCPT TO',
    raw: { message: 'Invalid recipient "\\"a> RCPT TO:<x@y>\\"@example.net"', code: 'EENVELOPE', command: 'API' },
    ctx: relay,
    cause: 'address-unsendable', disposition: 'bounce', dsn: '5.1.3', fix: ['not be retried'],
  },
  {
    name: 'nodemailer will not write the sender into MAIL FROM',
    raw: { message: 'Invalid sender "\\"x>\\"@example.test"', code: 'EENVELOPE', command: 'API' },
    ctx: direct,
    cause: 'address-unsendable', disposition: 'bounce', dsn: '5.1.3', fix: ['From Address'],
  },
  {
    name: 'no TLS to carry the password: the session refused to log in',
    raw: { message: 'The server offers no STARTTLS, and the password is never sent without TLS: no login was attempted', code: 'ENOTLSAUTH', command: 'AUTH' },
    ctx: { ...relay, port: 25, tls: 'opportunistic' },
    cause: 'auth-tls-unavailable', disposition: 'defer', dsn: '4.7.11', fix: ['Use TLS', 'Use SASL Authorization', 'Allow password without TLS (unsafe)'],
  },

  // Relay and sender policy
  {
    name: 'Postfix: relay access denied, SASL off',
    raw: reply('RCPT TO', '554 5.7.1 <someone@example.org>: Relay access denied'),
    ctx: relayNoSasl,
    cause: 'relay-denied', disposition: 'bounce', dsn: '5.7.1', fix: ['Use SASL Authorization', 'IP address'],
  },
  {
    name: 'sendmail: relaying denied, SASL on',
    raw: reply('RCPT TO', '550 5.7.1 <someone@example.org>... Relaying denied'),
    ctx: relay,
    cause: 'relay-denied', disposition: 'bounce', dsn: '5.7.1', fix: ['From Address'],
  },
  {
    name: 'Postfix: sender not owned by the login',
    raw: reply('RCPT TO', '553 5.7.1 <alerts@example.com>: Sender address rejected: not owned by user alerts'),
    ctx: relay,
    cause: 'sender-not-allowed', disposition: 'bounce', dsn: '5.7.1', fix: ['From Address'],
  },

  // The recipient's server judging this system
  {
    name: 'SPF failure',
    raw: reply('RCPT TO', '550 5.7.23 The message was rejected because of Sender Policy Framework violation'),
    ctx: direct,
    cause: 'spf-failed', disposition: 'bounce', dsn: '5.7.23', fix: ['SPF', 'Relay Host'],
  },
  {
    name: 'SPF failure without enhanced code',
    raw: reply('RCPT TO', '550 SPF check failed: 192.0.2.10 is not allowed to send mail from example.com'),
    ctx: direct,
    cause: 'spf-failed', disposition: 'bounce', dsn: '5.0.0', fix: ['SPF'],
  },
  {
    name: 'Gmail: DMARC policy',
    raw: reply('DATA', "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n550 5.7.26 DMARC policy."),
    ctx: direct,
    cause: 'dmarc-failed', disposition: 'bounce', dsn: '5.7.26', fix: ['DMARC', 'Relay Host'],
  },
  {
    name: 'Gmail: no PTR',
    raw: reply('RCPT TO', '550-5.7.25 [192.0.2.10] The IP address sending this message does not have a\n550 5.7.25 PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.'),
    ctx: direct,
    cause: 'ptr-missing', disposition: 'bounce', dsn: '5.7.25', fix: ['PTR', 'Hostname'],
  },
  {
    name: 'Postfix: cannot find your hostname (a 4xx, so deferred)',
    raw: reply('RCPT TO', '450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.10]'),
    ctx: direct,
    cause: 'ptr-missing', disposition: 'defer', dsn: '4.7.25', fix: ['Hostname'],
  },
  {
    name: 'Postfix: HELO not fully qualified',
    raw: reply('RCPT TO', '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname'),
    ctx: direct,
    cause: 'helo-rejected', disposition: 'bounce', dsn: '5.5.2', fix: ['Hostname'],
  },
  {
    name: 'blocklisted IP at the greeting',
    raw: reply('CONN', '554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org'),
    ctx: direct,
    cause: 'ip-blocklisted', disposition: 'bounce', dsn: '5.7.1', fix: ['SPF', 'PTR', 'Relay Host'],
  },
  {
    name: 'content rejected as spam',
    raw: reply('DATA', '550 5.7.1 Message rejected as spam by Content Filtering.'),
    ctx: direct,
    cause: 'content-rejected', disposition: 'bounce', dsn: '5.7.1',
  },
  {
    name: 'postgrey greylisting',
    raw: reply('RCPT TO', '450 4.2.0 <someone@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html'),
    ctx: direct,
    cause: 'greylisted', disposition: 'defer', dsn: '4.2.0', fix: ['retried automatically'],
  },
  {
    name: 'greylisting in action',
    raw: reply('RCPT TO', '451 4.7.1 Greylisting in action, please come back later'),
    ctx: direct,
    cause: 'greylisted', disposition: 'defer', dsn: '4.7.1',
  },
  {
    name: 'try again later without an enhanced code',
    raw: reply('RCPT TO', '451 Temporary local problem - please try again later'),
    ctx: direct,
    cause: 'greylisted', disposition: 'defer', dsn: '4.0.0',
  },
  {
    name: 'Gmail: rate limited',
    raw: reply('DATA', '421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address.'),
    ctx: direct,
    cause: 'rate-limited', disposition: 'defer', dsn: '4.7.28',
  },

  // The recipient and the message
  {
    name: 'user unknown',
    raw: reply('RCPT TO', '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table'),
    ctx: direct,
    cause: 'user-unknown', disposition: 'bounce', dsn: '5.1.1', fix: ['recipient address'],
  },
  {
    name: 'user unknown without enhanced code',
    raw: reply('RCPT TO', '550 No such user here'),
    ctx: direct,
    cause: 'user-unknown', disposition: 'bounce', dsn: '5.0.0',
  },
  {
    name: 'mailbox full, temporary',
    raw: reply('RCPT TO', '452 4.2.2 Mailbox full'),
    ctx: direct,
    cause: 'mailbox-full', disposition: 'defer', dsn: '4.2.2',
  },
  {
    name: 'mailbox over quota, permanent',
    raw: reply('RCPT TO', '552 5.2.2 <someone@example.org>: user is over quota'),
    ctx: direct,
    cause: 'mailbox-full', disposition: 'bounce', dsn: '5.2.2',
  },
  {
    name: 'message too big (Postfix)',
    raw: reply('DATA', '552 5.3.4 Message size exceeds fixed limit'),
    ctx: relay,
    cause: 'message-too-big', disposition: 'bounce', dsn: '5.3.4', fix: ['smaller'],
  },
  {
    name: 'message over the SIZE the server announced (checked before sending)',
    raw: { message: 'Message size larger than allowed 10240000', code: 'EMESSAGE', command: 'MAIL FROM' },
    ctx: relay,
    cause: 'message-too-big', disposition: 'bounce', dsn: '5.3.4',
  },
  {
    name: 'too many recipients',
    raw: reply('RCPT TO', '452 4.5.3 Error: too many recipients'),
    ctx: relay,
    cause: 'too-many-recipients', disposition: 'defer', dsn: '4.5.3',
  },
  {
    name: 'bad address syntax',
    raw: reply('RCPT TO', '501 5.1.3 Bad recipient address syntax'),
    ctx: relay,
    cause: 'address-invalid', disposition: 'bounce', dsn: '5.1.3',
  },

  // The server's state
  {
    name: '421 at the greeting',
    raw: reply('CONN', '421 mx.example.net Service not available, closing transmission channel'),
    ctx: direct,
    cause: 'server-unavailable', disposition: 'defer', dsn: '4.0.0',
  },
  {
    name: '421 while sending',
    raw: { message: 'Server closed the connection: 421 4.4.2 mx.example.net Error: timeout exceeded', code: 'ECONNECTION', responseCode: 421, response: '421 4.4.2 mx.example.net Error: timeout exceeded', command: 'CONN' },
    ctx: { ...direct, phase: 'data' },
    cause: 'server-unavailable', disposition: 'defer', dsn: '4.4.2',
  },
  {
    name: 'a POP3 server on the relay port',
    raw: { message: 'Invalid greeting. response=+OK Dovecot ready.: +OK Dovecot ready.', code: 'EPROTOCOL', response: '+OK Dovecot ready.', command: 'CONN' },
    ctx: { ...relay, port: 110 },
    cause: 'not-smtp-server', disposition: 'defer', dsn: '4.5.0', fix: ['Relay Host', 'Relay Port'],
  },

  // Network and DNS
  {
    name: 'connection refused',
    raw: { message: 'connect ECONNREFUSED 192.0.2.1:587', code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN', syscall: 'connect' },
    ctx: relay,
    cause: 'connection-refused', disposition: 'defer', dsn: '4.4.1', fix: ['Relay Host', 'Relay Port', 'firewall'],
  },
  {
    name: 'connection timeout (nodemailer timer)',
    raw: { message: 'Connection timeout', code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'CONNECT_TIMEOUT' },
    ctx: { ...relay, port: 25 },
    cause: 'connection-timeout', disposition: 'defer', dsn: '4.4.1', fix: ['firewall', 'Relay Port'],
  },
  {
    name: 'connection timeout (kernel)',
    raw: { message: 'connect ETIMEDOUT 192.0.2.1:25', code: 'ESOCKET', originalCode: 'ETIMEDOUT', command: 'CONN', syscall: 'connect' },
    ctx: direct,
    cause: 'connection-timeout', disposition: 'defer', dsn: '4.4.1', fix: ['Relay Host'],
  },
  {
    name: 'offline: network unreachable',
    raw: { message: 'connect ENETUNREACH 192.0.2.1:587 - Local (0.0.0.0:0)', code: 'ESOCKET', originalCode: 'ENETUNREACH', command: 'CONN', syscall: 'connect' },
    ctx: relay,
    cause: 'network-unreachable', disposition: 'defer', dsn: '4.4.1', fix: ['network is back'],
  },
  {
    name: 'offline: relay name cannot be resolved right now',
    raw: { message: 'getaddrinfo EAI_AGAIN smtp.example.com', code: 'EDNS', originalCode: 'EAI_AGAIN', command: 'CONN', syscall: 'getaddrinfo' },
    ctx: relay,
    cause: 'dns-temporary', disposition: 'defer', dsn: '4.4.3', fix: ['network is back'],
  },
  {
    name: 'DNS lookup timed out',
    raw: { message: 'DNS lookup for smtp.example.com timed out', code: 'EDNS', originalCode: 'ETIMEOUT', command: 'CONN' },
    ctx: relay,
    cause: 'dns-temporary', disposition: 'defer', dsn: '4.4.3',
  },
  {
    name: 'relay host misspelt',
    raw: { message: 'getaddrinfo ENOTFOUND smtp.exmaple.com', code: 'EDNS', originalCode: 'ENOTFOUND', command: 'CONN', syscall: 'getaddrinfo' },
    ctx: { ...relay, host: 'smtp.exmaple.com' },
    cause: 'relay-host-not-found', disposition: 'defer', dsn: '4.4.4', fix: ['Relay Host'],
  },
  {
    name: 'recipient domain does not exist (direct)',
    raw: { message: 'queryMx ENOTFOUND example.invalid', code: 'ENOTFOUND', syscall: 'queryMx' },
    ctx: { direct: true, host: 'example.invalid', phase: 'dns' },
    cause: 'recipient-domain-not-found', disposition: 'bounce', dsn: '5.1.2', fix: ['recipient address'],
  },
  {
    name: 'MX hosts without addresses (direct)',
    raw: { message: 'no address found for the mail hosts of example.org (mx1.example.org, mx2.example.org)', code: 'ENOADDR' },
    ctx: { direct: true, host: 'example.org', phase: 'dns' },
    cause: 'mx-no-address', disposition: 'defer', dsn: '4.4.4',
  },
  {
    name: 'port 465 closes a plain client, phase taken from the CONN command',
    raw: { message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN' },
    ctx: { ...relay, port: 465, tls: 'none', phase: 'connect' },
    cause: 'plain-to-implicit-tls', disposition: 'defer', dsn: '4.4.2',
  },
  {
    name: 'DNS server unreachable while resolving MX (direct)',
    raw: { message: 'queryMx ECONNREFUSED example.org', code: 'ECONNREFUSED', syscall: 'queryMx' },
    ctx: { direct: true, host: 'example.org' },
    cause: 'dns-temporary', disposition: 'defer', dsn: '4.4.3',
  },
  {
    name: 'connection closed during DATA',
    raw: { message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN' },
    ctx: { ...relay, phase: 'data' },
    cause: 'connection-lost', disposition: 'defer', dsn: '4.4.2', fix: ['retried automatically'],
  },
  {
    name: 'connection reset',
    raw: { message: 'read ECONNRESET', code: 'ESOCKET', originalCode: 'ECONNRESET', command: 'CONN', syscall: 'read' },
    ctx: { ...relay, phase: 'rcpt' },
    cause: 'connection-lost', disposition: 'defer', dsn: '4.4.2',
  },
  {
    name: 'socket hang up',
    raw: { message: 'socket hang up', code: 'ECONNRESET' },
    ctx: { ...relay, phase: 'data' },
    cause: 'connection-lost', disposition: 'defer', dsn: '4.4.2',
  },
  {
    name: 'server went silent mid-session',
    raw: { message: 'Timeout', code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' },
    ctx: { ...relay, phase: 'data' },
    cause: 'server-timeout', disposition: 'defer', dsn: '4.4.2',
  },

  // A 451 at RCPT: greylisting, a rate limit or a policy by its words, else the server's own trouble
  {
    name: '451 at RCPT: a temporary policy refusal (x.7.x)',
    raw: reply('RCPT TO', '451 4.7.1 <someone@example.org>: Recipient address rejected: Service is unavailable'),
    ctx: relay,
    cause: 'policy-deferred', disposition: 'defer', dsn: '4.7.1', fix: ['retried automatically', 'policy'],
  },
  {
    name: '451 at RCPT: policy named in words, no enhanced code',
    raw: reply('RCPT TO', '451 Temporarily rejected by local policy'),
    ctx: direct,
    cause: 'policy-deferred', disposition: 'defer', dsn: '4.0.0',
  },
  {
    name: '451 at RCPT: a rate limit',
    raw: reply('RCPT TO', '451 4.7.1 Rate limit exceeded for alerts@example.com, slow down'),
    ctx: relay,
    cause: 'rate-limited', disposition: 'defer', dsn: '4.7.1',
  },
  {
    name: '451 at RCPT with no words to go by',
    raw: reply('RCPT TO', '451 Temporary failure'),
    ctx: relay,
    cause: 'server-temporary', disposition: 'defer', dsn: '4.0.0', fix: ['retried automatically', "server's logs"],
  },
  {
    name: '451 at DATA: the server could not write its queue file',
    raw: reply('DATA', '451 4.3.0 Error: queue file write error'),
    ctx: relay,
    cause: 'server-temporary', disposition: 'defer', dsn: '4.3.0',
  },

  // Anything else
  {
    name: 'an unknown 4xx',
    raw: reply('RCPT TO', '450 Requested mail action not taken'),
    ctx: relay,
    cause: 'unknown-temporary', disposition: 'defer', dsn: '4.0.0',
  },
  {
    name: 'an unknown 5xx',
    raw: reply('RCPT TO', '554 5.7.9 Message not accepted for policy reasons'),
    ctx: direct,
    cause: 'unknown-permanent', disposition: 'bounce', dsn: '5.7.9',
  },
  {
    name: 'an unknown local error',
    raw: { message: 'Something odd happened' },
    cause: 'unknown-temporary', disposition: 'defer', dsn: '4.0.0',
  },
  // OAuth 2.0 (XOAUTH2): the token endpoint's refusals reach the decoder through nodemailer's provisionCallback
  // as EAUTH with the endpoint's code kept in originalCode; the relay's refusals as any AUTH reply.
  ...([
    ['AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value', 'oauth-secret-invalid', ['Client secret', 'Value']],
    ["AADSTS7000222: The provided client secret keys for app '00001111' are expired.", 'oauth-secret-expired', ['Client secret']],
    ["AADSTS700016: Application with identifier '00001111' was not found in the directory 'contoso'.", 'oauth-app-unknown', ['Tenant ID', 'Client ID']],
  ] as const).map(([said, cause, fix]): Case => ({
    name: `Microsoft's token endpoint: ${said.slice(0, 14)}`,
    raw: { message: `The token endpoint login.microsoftonline.com refused the request (HTTP 401): invalid_client: ${said}`, code: 'EAUTH', originalCode: 'EOAUTHREFUSED', command: 'AUTH XOAUTH2' },
    ctx: { ...relay, signIn: 'oauth' },
    cause, disposition: 'defer', dsn: '4.7.8', fix: [...fix],
  })),
  {
    name: "Google's token endpoint: no domain-wide delegation for the scope",
    raw: { message: 'The token endpoint oauth2.googleapis.com refused the request (HTTP 401): unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.', code: 'EAUTH', originalCode: 'EOAUTHREFUSED', command: 'AUTH XOAUTH2' },
    ctx: { ...relay, signIn: 'oauth' },
    cause: 'oauth-google-unauthorized', disposition: 'defer', dsn: '4.7.8', fix: ['domain-wide delegation', 'https://mail.google.com/'],
  },
  {
    name: "Google's token endpoint: invalid_grant",
    raw: { message: 'The token endpoint oauth2.googleapis.com refused the request (HTTP 400): invalid_grant: Invalid email or User ID', code: 'EAUTH', originalCode: 'EOAUTHREFUSED', command: 'AUTH XOAUTH2' },
    ctx: { ...relay, signIn: 'oauth' },
    cause: 'oauth-google-invalid-grant', disposition: 'defer', dsn: '4.7.8', fix: ['Username', 'clock'],
  },
  {
    name: 'the token endpoint cannot be reached (offline)',
    raw: { message: 'The token endpoint login.microsoftonline.com could not be reached (ENOTFOUND).', code: 'EAUTH', originalCode: 'EOAUTHUNREACHABLE', command: 'AUTH XOAUTH2' },
    ctx: { ...relay, signIn: 'oauth' },
    cause: 'oauth-endpoint-unreachable', disposition: 'defer', dsn: '4.4.1', fix: ['retried'],
  },
  {
    name: 'Microsoft 365 refuses the token: no SMTP.SendAsApp, service principal or mailbox permission (535 5.7.3)',
    raw: { message: 'Invalid login: 535 5.7.3 Authentication unsuccessful [SN4PR0501CA0001.namprd05.prod.outlook.com]', code: 'EAUTH', responseCode: 535, response: '535 5.7.3 Authentication unsuccessful [SN4PR0501CA0001.namprd05.prod.outlook.com]', command: 'AUTH XOAUTH2' },
    ctx: { ...relay, signIn: 'oauth' },
    cause: 'oauth-send-as-denied', disposition: 'defer', dsn: '4.7.3', fix: ['SMTP.SendAsApp', 'New-ServicePrincipal', 'Add-MailboxPermission'],
  },
  {
    name: 'the same 535 5.7.3 to a password is a wrong password',
    raw: reply('AUTH LOGIN', '535 5.7.3 Authentication unsuccessful'),
    ctx: { ...relay, signIn: 'password' },
    cause: 'auth-failed', disposition: 'defer', dsn: '4.7.3', fix: ['Password'],
  },
  {
    name: 'Microsoft 365 with SMTP AUTH disabled for the mailbox or tenant (535 5.7.139)',
    raw: { message: 'Invalid login: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', code: 'EAUTH', responseCode: 535, response: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.', command: 'AUTH XOAUTH2' },
    ctx: { ...relay, signIn: 'oauth' },
    cause: 'smtp-auth-disabled', disposition: 'defer', dsn: '4.7.139', fix: ['Set-CASMailbox', 'SmtpClientAuthenticationDisabled'],
  },
]

describe('decodeFailure on the errors nodemailer and Node produce', () => {
  it.each(CASES)('$name → $cause', (c) => {
    const d = decodeFailure(c.raw, c.ctx)
    expect({ cause: d.cause, disposition: d.disposition, dsn: d.dsn }).toEqual({ cause: c.cause, disposition: c.disposition, dsn: c.dsn })
    expect(d.summary.length).toBeGreaterThan(20)
    for (const word of c.fix ?? []) expect(d.fix).toContain(word)
  })

  it('quotes the server reply in the summary of an unknown cause', () => {
    const d = decodeFailure(reply('RCPT TO', '554 5.7.9 Message not accepted for policy reasons'), direct)
    expect(d.summary).toContain('"554 5.7.9 Message not accepted for policy reasons"')
  })

  it('names the server in the summary and the names a certificate carries', () => {
    const mismatch = CASES.find((c) => c.cause === 'cert-name-mismatch')!
    const d = decodeFailure(mismatch.raw, relay)
    expect(d.summary).toContain('smtp.example.com:587')
    expect(d.summary).toContain('mail.provider.example, smtp.provider.example')
  })

  it('says where to look when a relay host refuses, and what to do when sending direct', () => {
    const raw: RawFailure = { message: 'connect ECONNREFUSED 192.0.2.1:25', code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }
    expect(decodeFailure(raw, relay).fix).toContain('Relay Port')
    const d = decodeFailure(raw, direct)
    expect(d.fix).toContain('port 25')
    expect(d.fix).toContain('Relay Host')
  })

  it('offers no relay-only settings to fix a recipient MX when sending direct', () => {
    const mismatch = CASES.find((c) => c.cause === 'cert-name-mismatch')!
    const d = decodeFailure(mismatch.raw, { ...direct, tls: 'starttls' })
    expect(d.cause).toBe('cert-name-mismatch')
    expect(d.fix).toContain('Use TLS')
    expect(d.fix).not.toContain('CA certificate')
    expect(d.fix).not.toContain('Set Relay Host to the name')
    const denied = decodeFailure(reply('RCPT TO', '554 5.7.1 <someone@example.org>: Relay access denied'), direct)
    expect(denied).toMatchObject({ cause: 'relay-denied', disposition: 'bounce' })
    expect(denied.fix).not.toContain('Use SASL Authorization')
  })

  it('takes a thrown Error as well as a plain record', () => {
    const err = Object.assign(new Error('Invalid login: 535 5.7.8 Error: authentication failed'), {
      code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Error: authentication failed', command: 'AUTH PLAIN',
    })
    expect(decodeFailure(err, relay)).toMatchObject({ cause: 'auth-failed', disposition: 'defer', dsn: '4.7.8' })
  })

  it('every cause has an id that explainCause knows, and every fix names something to do', () => {
    for (const cause of CAUSES) {
      expect(cause).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      const e = explainCause(cause)
      expect(e?.cause).toBe(cause)
      expect(e!.summary).not.toMatch(/undefined|\$\{/)
      expect(e!.fix.length).toBeGreaterThan(20)
    }
    // Ids the delivery code stores itself read back too.
    expect(explainCause('aborted')?.summary).toContain('stopped')
    expect(explainCause('internal')?.summary).toContain('internal error')
    expect(explainCause('no-such-cause')).toBeNull()
    expect(explainCause('toString')).toBeNull()
  })

  it('every cause in the table is in the catalogue', () => {
    for (const c of CASES) expect(CAUSES).toContain(c.cause)
  })
})

describe('toRawFailure', () => {
  it('copies the fields nodemailer sets, and nothing it does not', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN', errno: -111, syscall: 'connect',
    })
    expect(toRawFailure(err)).toEqual({ message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN', syscall: 'connect' })
  })

  it('reads an AggregateError, whose own message is empty', () => {
    const agg = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:25'), new Error('connect ECONNREFUSED 127.0.0.1:25')], ''), { code: 'ECONNREFUSED' })
    const raw = toRawFailure(agg)
    expect(raw.message).toBe('connect ECONNREFUSED ::1:25; connect ECONNREFUSED 127.0.0.1:25')
    expect(decodeFailure(raw, relay).cause).toBe('connection-refused')
  })

  it('turns anything thrown into a message', () => {
    expect(toRawFailure('boom')).toEqual({ message: 'boom' })
    expect(toRawFailure(undefined)).toEqual({ message: 'Unknown error' })
    expect(toRawFailure({ message: 'x', responseCode: '550' })).toEqual({ message: 'x' })
  })
})

// ── Provoked for real on 127.0.0.1 ──────────────────────────────────────

const WAIT_MS = 5000

interface Certs {
  dir: string
  selfKey: Buffer
  selfCert: Buffer
  caCert: Buffer
  leafKey: Buffer
  leafCert: Buffer
  expiredCert: Buffer
}

function makeCerts(): Certs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decoder-certs-'))
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 })
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', 'self.key', '-out', 'self.crt')
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Decoder Test CA', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt')
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=mail.example.test', '-keyout', 'leaf.key', '-out', 'leaf.csr')
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=DNS:mail.example.test\n')
  ossl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '2', '-days', '2', '-extfile', 'san.cnf', '-out', 'leaf.crt')
  // `openssl ca` is the CLI's way to set a validity period wholly in the past.
  fs.mkdirSync(path.join(dir, 'db'))
  fs.writeFileSync(path.join(dir, 'db', 'index.txt'), '')
  fs.writeFileSync(path.join(dir, 'db', 'serial'), '03\n')
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    '[ca]\ndefault_ca = c\n[c]\ndatabase = db/index.txt\nserial = db/serial\nnew_certs_dir = db\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n[ext]\nsubjectAltName = DNS:localhost\n',
  )
  ossl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'leaf.csr', '-out', 'expired.crt',
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-extensions', 'ext', '-notext')
  const read = (f: string) => fs.readFileSync(path.join(dir, f))
  return {
    dir,
    selfKey: read('self.key'), selfCert: read('self.crt'), caCert: read('ca.crt'),
    leafKey: read('leaf.key'), leafCert: read('leaf.crt'), expiredCert: read('expired.crt'),
  }
}

const servers: SMTPServer[] = []
const rawServers: net.Server[] = []

async function startSmtp(options: SMTPServerOptions): Promise<number> {
  const server = new SMTPServer({ logger: false, ...options })
  // A client that gives up mid-handshake makes the server emit 'error'; that is the test's point, not a failure.
  server.on('error', () => {})
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.server.address() as net.AddressInfo).port
}

async function startRaw(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection)
  rawServers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

type Action = (c: SMTPConnection, done: (err: unknown) => void) => void

/** Opens a real connection, runs `action` once connected, and resolves with the error it ends in (null on success). */
function attempt(options: SMTPConnection.Options, action?: Action): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = new SMTPConnection({ host: '127.0.0.1', connectionTimeout: 2000, greetingTimeout: 1000, socketTimeout: 2000, logger: false, ...options })
    let settled = false
    const timer = setTimeout(() => finish(new Error('test did not settle in time'), true), WAIT_MS)
    function finish(err: unknown, failTest = false) {
      if (settled) return
      settled = true
      clearTimeout(timer)
      c.close()
      if (failTest) reject(err)
      else resolve(err ?? null)
    }
    c.on('error', (err) => finish(err))
    c.connect((err) => {
      if (err) return finish(err)
      if (!action) return finish(null)
      action(c, (e) => finish(e))
    })
  })
}

const send =
  (to: string[] = ['someone@example.org'], message = 'Subject: test\r\n\r\nhello\r\n', size?: number): Action =>
  (c, done) =>
    c.send({ from: 'alerts@example.com', to, ...(size ? { size } : {}) }, message, (err, info) => {
      if (err) return done(err)
      done(info.rejectedErrors?.[0] ?? null)
    })

const login =
  (user: string, pass: string): Action =>
  (c, done) =>
    c.login({ user, pass }, (err) => done(err ?? null))

function expectDecoded(err: unknown, ctx: FailureContext, want: Partial<Decoded>, fixWords: string[] = []): Decoded {
  expect(err, 'the attempt should have failed').toBeTruthy()
  const d = decodeFailure(toRawFailure(err), ctx)
  expect(d).toMatchObject(want)
  for (const w of fixWords) expect(d.fix).toContain(w)
  return d
}

describe('decodeFailure on failures provoked on loopback', () => {
  let certs: Certs
  beforeAll(() => {
    certs = makeCerts()
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))))
    for (const s of rawServers) s.close()
    fs.rmSync(certs.dir, { recursive: true, force: true })
  })

  it('implicit TLS against a plain port: wrong version number', async () => {
    const port = await startSmtp({ authOptional: true, disabledCommands: ['STARTTLS'] })
    const err = await attempt({ port, secure: true })
    expectDecoded(err, { host: '127.0.0.1', port, tls: 'implicit' }, { cause: 'tls-wrong-version', disposition: 'defer', dsn: '4.7.0' }, ['TLS mode', 'Relay Port'])
  })

  it('plain SMTP against an implicit-TLS port: greeting never received, and the port answers TLS', async () => {
    const port = await startSmtp({ secure: true, key: certs.selfKey, cert: certs.selfCert, authOptional: true })
    const err = await attempt({ port, secure: false, greetingTimeout: 500 })
    const tls = await answersTls({ host: '127.0.0.1', port }, 2000)
    expect(tls).toBe(true)
    const d = expectDecoded(err, { host: '127.0.0.1', port, tls: 'none', answersTls: tls }, { cause: 'plain-to-implicit-tls', disposition: 'defer', dsn: '4.4.2' }, ['Use TLS', 'Implicit TLS'])
    // Not 465: the fix names the port, since Automatic would not pick implicit TLS for it.
    expect(d.fix).toContain(`on port ${port} choose it yourself`)
  })

  it('a relay that accepts TCP and never greets, on a port other than 465: a greeting timeout, not a TLS mismatch', async () => {
    const port = await startRaw(() => undefined)
    const err = await attempt({ port, secure: false, greetingTimeout: 300 })
    expect(err).toMatchObject({ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' })
    const tls = await answersTls({ host: '127.0.0.1', port }, 300)
    expect(tls).toBe(false)
    const d = expectDecoded(err, { host: '127.0.0.1', port, tls: 'none', answersTls: tls }, { cause: 'greeting-timeout', disposition: 'defer', dsn: '4.4.2' }, ['greeting timeout'])
    expect(d.summary).toContain(`127.0.0.1:${port}`)
    // Not asked, a port other than 465 is not taken for implicit TLS either; 465 still is.
    expect(decodeFailure(toRawFailure(err), { host: '127.0.0.1', port, tls: 'none' }).cause).toBe('greeting-timeout')
    expect(decodeFailure(toRawFailure(err), { host: '127.0.0.1', port: 465, tls: 'none' }).cause).toBe('plain-to-implicit-tls')
    expect(decodeFailure(toRawFailure(err), { host: '127.0.0.1', port: 465, tls: 'none', answersTls: false }).cause).toBe('greeting-timeout')
  })

  it('a port that answers plain text or closes at once does not count as TLS', async () => {
    const plain = await startRaw((socket) => socket.end('220 plain.example ESMTP\r\n'))
    expect(await answersTls({ host: '127.0.0.1', port: plain }, 2000)).toBe(false)
    const closing = await startRaw((socket) => socket.destroy())
    expect(await answersTls({ host: '127.0.0.1', port: closing }, 2000)).toBe(false)
  })

  it('self-signed certificate with verification on, and the same server accepted once its certificate is given', async () => {
    const port = await startSmtp({ secure: true, key: certs.selfKey, cert: certs.selfCert, authOptional: true })
    const err = await attempt({ port, secure: true, servername: 'localhost', tls: { rejectUnauthorized: true } })
    expectDecoded(err, { host: '127.0.0.1', port, tls: 'implicit' }, { cause: 'cert-self-signed', disposition: 'defer', dsn: '4.7.5' }, ['CA certificate', 'Verify certificate'])
    // The fix works: with the certificate given as CA, the connection succeeds.
    expect(await attempt({ port, secure: true, servername: 'localhost', tls: { rejectUnauthorized: true, ca: certs.selfCert } })).toBeNull()
  })

  it('self-signed certificate over STARTTLS', async () => {
    const port = await startSmtp({ key: certs.selfKey, cert: certs.selfCert, authOptional: true })
    const err = await attempt({ port, requireTLS: true, servername: 'localhost' })
    expectDecoded(err, { port, tls: 'starttls', phase: 'tls' }, { cause: 'cert-self-signed', dsn: '4.7.5' })
  })

  it('certificate from an authority we do not trust', async () => {
    const port = await startSmtp({ secure: true, key: certs.leafKey, cert: certs.leafCert, authOptional: true })
    const err = await attempt({ port, secure: true, servername: 'mail.example.test' })
    expectDecoded(err, { port, tls: 'implicit' }, { cause: 'cert-untrusted', disposition: 'defer', dsn: '4.7.5' }, ['CA certificate'])
  })

  it('certificate issued for another name', async () => {
    const port = await startSmtp({ secure: true, key: certs.leafKey, cert: certs.leafCert, authOptional: true })
    const err = await attempt({ host: 'localhost', port, secure: true, tls: { ca: certs.caCert } })
    const d = expectDecoded(err, { host: 'localhost', port, tls: 'implicit' }, { cause: 'cert-name-mismatch', dsn: '4.7.5' }, ['Relay Host'])
    expect(d.summary).toContain('mail.example.test')
  })

  it('expired certificate', async () => {
    const port = await startSmtp({ secure: true, key: certs.leafKey, cert: certs.expiredCert, authOptional: true })
    const err = await attempt({ host: 'localhost', port, secure: true, tls: { ca: certs.caCert } })
    expectDecoded(err, { host: 'localhost', port, tls: 'implicit' }, { cause: 'cert-expired', dsn: '4.7.5' })
  })

  it('wrong password', async () => {
    const port = await startSmtp({
      disabledCommands: ['STARTTLS'], allowInsecureAuth: true, hideENHANCEDSTATUSCODES: false,
      onAuth: (_auth, _session, cb) => cb(new Error('Invalid username or password')),
    })
    const err = await attempt({ port }, login('alerts', 'wrong'))
    expectDecoded(err, { port, tls: 'none', saslConfigured: true }, { cause: 'auth-failed', disposition: 'defer', dsn: '4.7.8' }, ['Username', 'Password'])
  })

  it('authentication required but Use SASL Authorization is off', async () => {
    const port = await startSmtp({ disabledCommands: ['STARTTLS'], allowInsecureAuth: true, onAuth: (_a, _s, cb) => cb(new Error('no')) })
    const err = await attempt({ port }, send())
    expectDecoded(err, { port, tls: 'none', saslConfigured: false }, { cause: 'auth-required', disposition: 'defer', dsn: '4.7.0' }, ['Use SASL Authorization'])
  })

  it('login over plain text refused: STARTTLS first (538)', async () => {
    const port = await startSmtp({ key: certs.selfKey, cert: certs.selfCert, onAuth: (_a, _s, cb) => cb(new Error('no')) })
    const err = await attempt({ port, ignoreTLS: true }, login('alerts', 'secret'))
    expectDecoded(err, { port, tls: 'none', saslConfigured: true }, { cause: 'auth-needs-tls', disposition: 'defer' }, ['Use TLS'])
  })

  it('STARTTLS required but the server has none', async () => {
    const port = await startSmtp({ authOptional: true, disabledCommands: ['STARTTLS'] })
    const err = await attempt({ port, requireTLS: true })
    expectDecoded(err, { port, tls: 'starttls' }, { cause: 'starttls-not-offered', disposition: 'defer' }, ['Use TLS'])
  })

  it('relay access denied', async () => {
    const port = await startSmtp({
      authOptional: true, disabledCommands: ['STARTTLS'], hideENHANCEDSTATUSCODES: true,
      onRcptTo: (address, _s, cb) => cb(Object.assign(new Error(`5.7.1 <${address.address}>: Relay access denied`), { responseCode: 554 })),
    })
    const err = await attempt({ port }, send())
    expectDecoded(err, { port, tls: 'none', saslConfigured: false }, { cause: 'relay-denied', disposition: 'bounce', dsn: '5.7.1' }, ['Use SASL Authorization'])
  })

  it('greylisting for one recipient while another is accepted', async () => {
    const port = await startSmtp({
      authOptional: true, disabledCommands: ['STARTTLS'], hideENHANCEDSTATUSCODES: true,
      onRcptTo: (address, _s, cb) =>
        address.address.startsWith('grey')
          ? cb(Object.assign(new Error('4.7.1 Greylisting in action, please come back later'), { responseCode: 451 }))
          : cb(),
      onData: (stream, _s, cb) => {
        stream.on('data', () => {})
        stream.on('end', () => cb())
      },
    })
    const err = await attempt({ port }, send(['known@example.org', 'grey@example.org']))
    expectDecoded(err, { port, phase: 'rcpt' }, { cause: 'greylisted', disposition: 'defer', dsn: '4.7.1' })
  })

  it('the server drops the connection during DATA', async () => {
    const sockets: net.Socket[] = []
    const port = await startSmtp({
      authOptional: true, disabledCommands: ['STARTTLS'],
      onConnect: (session, cb) => cb(),
      onData: (stream) => {
        stream.on('data', () => {})
        // Cut the client off without answering the final dot.
        stream.on('end', () => sockets.forEach((s) => s.destroy()))
      },
    })
    servers.at(-1)!.server.on('connection', (s: net.Socket) => sockets.push(s))
    const err = await attempt({ port }, send())
    const d = expectDecoded(err, { port, phase: 'data' }, { cause: 'connection-lost', disposition: 'defer', dsn: '4.4.2' })
    expect(d.summary).toContain('while the message was being sent')
  })

  it('message over the size the server announced, and over what it enforces', async () => {
    const port = await startSmtp({ authOptional: true, disabledCommands: ['STARTTLS'], size: 100, rejectOversized: true })
    const big = `Subject: big\r\n\r\n${'x'.repeat(500)}\r\n`
    const announced = await attempt({ port }, send(undefined, big, Buffer.byteLength(big)))
    expectDecoded(announced, { port }, { cause: 'message-too-big', disposition: 'bounce', dsn: '5.3.4' })
    const enforced = await attempt({ port }, send(undefined, big))
    expectDecoded(enforced, { port, phase: 'data' }, { cause: 'message-too-big', disposition: 'bounce' })
  })

  it('connection refused on a closed port', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const err = await attempt({ port })
    expectDecoded(err, { host: '127.0.0.1', port }, { cause: 'connection-refused', disposition: 'defer', dsn: '4.4.1' }, ['Relay Host', 'Relay Port'])
  })

  it('a POP3 service on the relay port', async () => {
    const port = await startRaw((s) => s.end('+OK POP3 server ready\r\n'))
    const err = await attempt({ port })
    const d = expectDecoded(err, { port }, { cause: 'not-smtp-server', disposition: 'defer' }, ['Relay Port'])
    expect(d.summary).toContain('+OK POP3 server ready')
  })

  it('a blocklisting server that answers 554 at the greeting', async () => {
    const port = await startRaw((s) => s.end('554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org\r\n'))
    const err = await attempt({ port })
    expectDecoded(err, { port, direct: true }, { cause: 'ip-blocklisted', disposition: 'bounce', dsn: '5.7.1' })
  })
})

describe('decodeFailure on DNS answers from a real resolver on loopback', () => {
  let dnsServer: ReturnType<typeof dns2.createServer>
  let dnsPort = 0
  beforeAll(async () => {
    dnsServer = dns2.createServer({
      udp: true,
      handle: (request, sendAnswer) => {
        const response = dns2.Packet.createResponseFromRequest(request)
        response.header.rcode = dns2.Packet.RCODE.NXDOMAIN
        sendAnswer(response)
      },
    })
    await dnsServer.listen({ udp: { port: 0, address: '127.0.0.1' } })
    dnsPort = (dnsServer.addresses().udp as net.AddressInfo).port
  })
  afterAll(async () => {
    await dnsServer.close()
  })

  it('a recipient domain that does not exist bounces', async () => {
    const resolver = new dnsPromises.Resolver({ timeout: 1000, tries: 1 })
    resolver.setServers([`127.0.0.1:${dnsPort}`])
    const err = await resolver.resolveMx('no-such-domain.example').then(() => null, (e: unknown) => e)
    expectDecoded(err, { direct: true, host: 'no-such-domain.example' }, { cause: 'recipient-domain-not-found', disposition: 'bounce', dsn: '5.1.2' })
  })

  it('a DNS server that does not answer defers', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const closedPort = (probe.address() as net.AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const resolver = new dnsPromises.Resolver({ timeout: 500, tries: 1 })
    resolver.setServers([`127.0.0.1:${closedPort}`])
    const err = await resolver.resolveMx('example.org').then(() => null, (e: unknown) => e)
    expectDecoded(err, { direct: true, host: 'example.org' }, { cause: 'dns-temporary', disposition: 'defer', dsn: '4.4.3' }, ['network is back'])
  })
})

describe('cause ids are names the compiler knows', () => {
  it('a mistyped or renamed cause id does not compile; a stored one is checked at run time', () => {
    // @ts-expect-error 'tls-wrong-versoin' is not a cause: a typo fails the typecheck, not a delivery.
    const typo: CauseId = 'tls-wrong-versoin'
    expect(isCauseId(typo)).toBe(false)
    const known: CauseId = 'tls-wrong-version'
    // No `!`: every CauseId has its entry.
    expect(CATALOGUE[known].disposition).toBe('defer')
    expect(explainCause('no-such-cause-in-an-old-row')).toBeNull()
  })

  it('an outcome names its kind as the admin does, and its cause from the catalogue', () => {
    const ok: RecipientOutcome = { recipient: 'a@example.test', kind: 'bounced', relay: null, reply: null, dsn: '5.1.1', tls: null, cause: 'user-unknown' }
    // @ts-expect-error outcomes say 'deferred', as the Mail Log does, not 'defer'.
    const old: RecipientOutcome = { ...ok, kind: 'defer' }
    // @ts-expect-error a cause the catalogue does not have.
    const unknown: RecipientOutcome = { ...ok, cause: 'user-unknwon' }
    expect([ok.kind, old.kind, unknown.cause]).toEqual(['bounced', 'defer', 'user-unknwon'])
    expect(isAborted(aborted())).toBe(true)
    expect(isAborted(ok)).toBe(false)
  })
})
