import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:net'
import type { Page } from '@playwright/test'
import { SMTPServer } from 'smtp-server'

// What the end-to-end specs share: a real SMTP relay on loopback (plain
// SMTP, no AUTH), a free port for a relay that is down, and the menu.

export interface Relay {
  port: number
  received: { from: string; to: string[]; raw: string }[]
  close(): Promise<void>
}

export interface RelayOptions {
  /** Recipients refused at RCPT with this 5xx reply. */
  refuse?: { address: string; reply: string }
}

export async function startRelay(port = 0, options: RelayOptions = {}): Promise<Relay> {
  const received: Relay['received'] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address === options.refuse?.address) return cb(Object.assign(new Error(options.refuse.reply), { responseCode: 550 }))
      cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() })
        cb()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const bound = ((server as unknown as { server: Server }).server.address() as AddressInfo).port
  return { port: bound, received, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/** A loopback port nothing listens on: a relay that is down. */
export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

export const menu = (page: Page, name: string) => page.getByRole('navigation', { name: 'SMTP Dashboard' }).getByRole('link', { name, exact: true })
