import type { Socket } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js'

// smtp-server waits 100 ms before every greeting to catch clients that talk
// before it (a defence against spam bots on port 25, as postscreen's greet
// pause). Local submission has no such clients, and with one message per
// connection (cron, sendmail-compatible tools, smtp-source) the pause alone
// caps ten sessions at 100 messages a second. This server greets at once;
// everything else is smtp-server's own connection code.

/** The parts of smtp-server's connection this relies on (not in its typings). */
interface Connection {
  name: string
  _setListeners?(ready: () => void): void
  connectionReady(): void
  init(): void
  send(code: number, text: string, context?: unknown): void
  on(event: string, listener: (arg: unknown) => void): void
}

interface ServerInternals {
  connections: Set<unknown>
  options: { maxClients?: number }
  _onError(err: unknown): void
  _onClientConnect(data: unknown): void
}

export class PromptSMTPServer extends SMTPServer {
  override connect(socket: Socket, socketOptions: unknown): void {
    const self = this as unknown as ServerInternals
    const connection = new (SMTPConnection as unknown as new (server: unknown, socket: Socket, options: unknown) => Connection)(this, socket, socketOptions)
    self.connections.add(connection)
    connection.on('error', (err) => self._onError(err))
    connection.on('connect', (data) => self._onClientConnect(data))
    // A version of smtp-server without this hook greets after its pause, as it always did.
    if (typeof connection._setListeners !== 'function') return connection.init()
    connection._setListeners(() => {
      if (self.options.maxClients && self.connections.size > self.options.maxClients) {
        connection.send(421, `${connection.name} Too many connected clients, try again in a moment`, false)
        return
      }
      connection.connectionReady()
    })
  }
}
