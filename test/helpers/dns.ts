import { createSocket } from 'node:dgram'
import { createServer, type Socket } from 'node:net'
import dns2 from 'dns2'
import { closedPort } from './smtp.ts'

// A real DNS server on loopback (UDP and TCP on one port) answering from a
// small zone: unknown names get NXDOMAIN, known names without the asked type
// an empty NOERROR answer, as a real authoritative server does.

export interface ZoneEntry {
  A?: string[]
  AAAA?: string[]
  MX?: { exchange: string; priority: number }[]
  TXT?: string[]
  PTR?: string[]
  /** Answer every question for this name with this error instead (a broken authoritative server). */
  rcode?: 'SERVFAIL' | 'REFUSED'
}

export interface TestDns {
  port: number
  server: string
  /** The names asked, lower-case, in order (to show what a resolver did or did not look up). */
  asked: string[]
  close(): Promise<void>
}

const { Packet } = dns2

/** TXT strings are at most 255 bytes each (RFC 1035 3.3.14): long records are split. */
function txtChunks(value: string): string[] {
  const out: string[] = []
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255))
  return out.length ? out : ['']
}

export async function startDns(zone: Record<string, ZoneEntry>): Promise<TestDns> {
  const lookup = (name: string) => zone[name.toLowerCase().replace(/\.$/, '')]
  const asked: string[] = []
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      if (!question) return void send(response)
      asked.push(question.name.toLowerCase())
      const entry = lookup(question.name)
      if (!entry) {
        response.header.rcode = Packet.RCODE.NXDOMAIN
        return void send(response)
      }
      if (entry.rcode) {
        response.header.rcode = Packet.RCODE[entry.rcode]
        return void send(response)
      }
      const base = { name: question.name, class: Packet.CLASS.IN, ttl: 60 }
      // The typings ask for a class instance; dns2 encodes plain records, as its own examples push them.
      const answers = response.answers as unknown as object[]
      switch (question.type) {
        case Packet.TYPE.A:
          for (const address of entry.A ?? []) answers.push({ ...base, type: Packet.TYPE.A, address })
          break
        case Packet.TYPE.AAAA:
          for (const address of entry.AAAA ?? []) answers.push({ ...base, type: Packet.TYPE.AAAA, address })
          break
        case Packet.TYPE.MX:
          for (const mx of entry.MX ?? []) answers.push({ ...base, type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority })
          break
        case Packet.TYPE.TXT:
          for (const data of entry.TXT ?? []) answers.push({ ...base, type: Packet.TYPE.TXT, data: txtChunks(data) })
          break
        case Packet.TYPE.PTR:
          for (const domain of entry.PTR ?? []) answers.push({ ...base, type: Packet.TYPE.PTR, domain })
          break
      }
      void send(response)
    },
  })
  server.on('requestError', () => undefined)
  // UDP and TCP must share the port (a truncated answer is asked again over TCP).
  for (let attempt = 0; ; attempt++) {
    const port = await closedPort()
    try {
      await server.listen({ udp: { port, address: '127.0.0.1' }, tcp: { port, address: '127.0.0.1' } })
      return { port, server: `127.0.0.1:${port}`, asked, close: async () => void (await server.close()) }
    } catch (err) {
      if (attempt >= 5) throw err
    }
  }
}

/** A DNS server that takes every query and never answers (a firewall that drops port 53). */
export async function startSilentDns(): Promise<TestDns> {
  for (let attempt = 0; ; attempt++) {
    const port = await closedPort()
    const socket = createSocket('udp4')
    socket.on('message', () => undefined)
    const connections = new Set<Socket>()
    const tcp = createServer((connection) => {
      connections.add(connection)
      connection.on('error', () => undefined)
    })
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind(port, '127.0.0.1', () => resolve())
      })
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen(port, '127.0.0.1', () => resolve())
      })
      const close = async () => {
        socket.close()
        for (const c of connections) c.destroy()
        await new Promise<void>((resolve) => tcp.close(() => resolve()))
      }
      return { port, server: `127.0.0.1:${port}`, asked: [], close }
    } catch (err) {
      try {
        socket.close()
      } catch {
        // Never bound: nothing to close.
      }
      tcp.close(() => undefined)
      if (attempt >= 5) throw err
    }
  }
}
