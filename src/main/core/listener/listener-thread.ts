import { parentPort, workerData } from 'node:worker_threads'
import type { SettingsFields } from '../../../shared/settings.ts'
import type { NewMessage } from '../queue/queue.ts'
import { Listener } from './listener.ts'
import type { FromThread, Refusal, ThreadInit, ToThread } from './thread-protocol.ts'

// The listener's thread: smtp-server, the sessions' sockets and the building
// of each message run here, off the engine's event loop, which keeps the
// queue's writes and the deliveries. Each message goes to the engine to be
// queued; its 250 waits for the engine's answer that it is durable.

const port = parentPort
if (!port) throw new Error('listener-thread.ts runs as a worker thread of the engine')
const init = workerData as ThreadInit
const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)

let settings: SettingsFields | null = null
let lastId = 0
const asked = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>()

function ask<T>(request: (id: number) => FromThread, transfer: ArrayBuffer[] = []): Promise<T> {
  const id = ++lastId
  return new Promise<T>((resolve, reject) => {
    asked.set(id, { resolve, reject })
    post(request(id), transfer)
  })
}

/** An error the listener's refusal reads (see storageTrouble below). */
const refused = (r: Refusal) => Object.assign(new Error(r.message), { trouble: r.trouble })

const listener = new Listener({
  dataDir: init.dataDir,
  settings: () => {
    if (!settings) throw new Error('the listener thread has no settings yet')
    return settings
  },
  password: () => ask<string | null>((id) => ({ t: 'password', id })),
  accept: (message: NewMessage) => {
    // Bytes of their own, moved rather than copied: a small Buffer is a view of a shared pool.
    const raw = new Uint8Array(message.raw)
    return ask<string>((id) => ({ t: 'accept', id, message: { ...message, raw: raw as Buffer } }), [raw.buffer])
  },
  storageTrouble: (err) => (err as { trouble?: Refusal['trouble'] }).trouble ?? null,
  logEvent: (level, message, details) => post({ t: 'log', level, message, ...(details ? { details } : {}) }),
  changed: (state) => post({ t: 'state', state }),
  now: Date.now,
  ...(init.limits ? { limits: init.limits } : {}),
})

port.on('message', (m: ToThread) => {
  switch (m.t) {
    case 'answer':
      asked.get(m.id)?.resolve(m.value)
      asked.delete(m.id)
      return
    case 'refuse':
      asked.get(m.id)?.reject(refused(m.refusal))
      asked.delete(m.id)
      return
    case 'apply':
      settings = m.settings
      void listener
        .apply()
        .catch((err: Error) => post({ t: 'log', level: 'error', message: `Local submission could not apply the settings: ${err.message}` }))
        .finally(() => post({ t: 'done', id: m.id }))
      return
    case 'stop':
      void listener.stop().then(() => {
        post({ t: 'done', id: m.id })
        port.close()
      })
      return
  }
})

post({ t: 'ready' })
