import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { freePort, sleep } from './measure.ts'

// Postfix's smtp-sink on loopback: accepts every message and throws it away,
// so delivery is measured against a server that is never the bottleneck.

export const SMTP_SINK = '/usr/sbin/smtp-sink'

export class SmtpSink {
  readonly port: number
  private readonly child: ChildProcess
  private tail = ''
  private exited = false

  private constructor(port: number, child: ChildProcess) {
    this.port = port
    this.child = child
    // With -c the sink rewrites "sess=N quit=N mesg=N\r" after every message; keep the latest.
    child.stdout?.on('data', (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('latin1')).slice(-400)
    })
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[smtp-sink] ${chunk.toString()}`))
    child.once('exit', () => (this.exited = true))
  }

  static available(): boolean {
    return existsSync(SMTP_SINK)
  }

  static async start(): Promise<SmtpSink> {
    const port = await freePort()
    // As root the sink must drop privileges (-u); 1000 is the listen backlog.
    const args = ['-c', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1000']
    const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const sink = new SmtpSink(port, child)
    const until = Date.now() + 5_000
    while (!(await canConnect(port))) {
      if (sink.exited || Date.now() > until) {
        sink.stop()
        throw new Error(`smtp-sink did not start listening on 127.0.0.1:${port}`)
      }
      await sleep(50)
    }
    return sink
  }

  /** Messages the sink has received so far (end of DATA), from its -c counter. */
  get messages(): number {
    const all = [...this.tail.matchAll(/mesg=(\d+)/g)]
    return all.length ? Number(all[all.length - 1]![1]) : 0
  }

  stop(): void {
    if (!this.exited && this.child.pid) this.child.kill('SIGTERM')
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
