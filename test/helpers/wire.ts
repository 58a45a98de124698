import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net'

// A TCP proxy on loopback between the console and a test server that keeps
// every byte the console sends: what anyone on the network path would see.

export interface WireTap {
  port: number
  /** What the console sent on each connection, in order, as raw bytes. */
  connections: Buffer[][]
  /** Everything the console sent, all connections, as latin1 text (TLS records stay unreadable). */
  clientText(): string
  /** The readable start of each connection: the bytes up to and including STARTTLS, or all of them without it. */
  plaintext(): string[]
  close(): Promise<void>
}

export async function startWireTap(targetPort: number): Promise<WireTap> {
  const connections: Buffer[][] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const chunks: Buffer[] = []
    connections.push(chunks)
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => {
        sockets.delete(s)
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk))
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    clientText: () => connections.map((c) => Buffer.concat(c).toString('latin1')).join(''),
    plaintext: () =>
      connections.map((c) => {
        const text = Buffer.concat(c).toString('latin1')
        const at = text.indexOf('STARTTLS\r\n')
        return at === -1 ? text : text.slice(0, at + 'STARTTLS\r\n'.length)
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
