import { connect, type Socket } from 'node:net'

// A plain SMTP client on a raw socket, line by line, for tests that check the
// exact replies a server gives (codes the libraries hide or retry on).

export interface SmtpDialog {
  greeting: string
  /** Sends one line (CRLF added) and resolves with the whole reply, every line of it. */
  send(line: string): Promise<string>
  /** Writes bytes as they are (a message body ending in CRLF.CRLF) and resolves with the reply. */
  sendRaw(data: string | Buffer): Promise<string>
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>
  close(): void
  /** Stops reading replies and hands over the socket as it is, to be wrapped in TLS after STARTTLS. */
  release(): Socket
}

export function smtpDialog(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<SmtpDialog> {
  const socket: Socket = connect({ port, host })
  let buffer = ''
  const waiting: ((reply: string) => void)[] = []
  const replies: string[] = []
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('error', () => undefined)
  socket.setEncoding('latin1')
  const onData = (chunk: string) => {
    buffer += chunk
    // A reply ends with a line whose code is followed by a space (RFC 5321 §4.2).
    for (let m = /^((?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n)/.exec(buffer); m; m = /^((?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n)/.exec(buffer)) {
      buffer = buffer.slice(m[1]!.length)
      const reply = m[1]!.trimEnd()
      const next = waiting.shift()
      if (next) next(reply)
      else replies.push(reply)
    }
  }
  socket.on('data', onData)
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const queued = replies.shift()
      if (queued !== undefined) return resolve(queued)
      const timer = setTimeout(() => reject(new Error(`no SMTP reply within ${timeoutMs} ms`)), timeoutMs)
      waiting.push((r) => {
        clearTimeout(timer)
        resolve(r)
      })
      void closed.then(() => {
        clearTimeout(timer)
        resolve('(connection closed)')
      })
    })
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('connect', () => {
      void next().then((greeting) =>
        resolve({
          greeting,
          send: (line) => {
            socket.write(`${line}\r\n`)
            return next()
          },
          sendRaw: (data) => {
            socket.write(data)
            return next()
          },
          closed,
          close: () => socket.destroy(),
          release: () => {
            socket.off('data', onData)
            return socket
          },
        }),
      )
    })
  })
}
