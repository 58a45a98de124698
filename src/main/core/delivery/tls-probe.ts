import { isIP } from 'node:net'
import { connect } from 'node:tls'

// A server that accepts the connection and never greets is either a silent
// SMTP server or a port that speaks TLS from the first byte (implicit TLS)
// waiting for a handshake the plain client never starts. One TLS handshake on
// the same port tells which, so the explanation need not guess from the port.

/** Whether host:port answers a TLS handshake (a certificate, or a TLS alert); false when silent, plain or closed. */
export function answersTls(target: { host: string; address?: string | undefined; port: number }, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const socket = connect({
      host: target.address ?? target.host,
      port: target.port,
      ...(isIP(target.host) ? {} : { servername: target.host }),
      // Only whether it speaks TLS is asked, not whether it is trusted: nothing is sent over this connection.
      rejectUnauthorized: false,
    })
    let settled = false
    const finish = (speaksTls: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(speaksTls)
    }
    const onAbort = () => finish(false)
    const timer = setTimeout(() => finish(false), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('secureConnect', () => finish(true))
    // A TLS alert (no common version or cipher) is still a TLS server answering; plain text is "wrong version number".
    socket.once('error', (err: NodeJS.ErrnoException) => finish(/^ERR_SSL_.*ALERT/.test(err.code ?? '')))
    socket.once('close', () => finish(false))
  })
}
