// The listener's real thread, made to fail the ways a bug would, chosen by
// the Hostname of the settings it is given: crash.example.test throws,
// uncaught, on the thread; stuck.example.test spins forever, answering
// nothing; crash-on-stop.example.test throws when the thread is told to
// stop. The listener-thread tests use it to see what the engine does then.
import { parentPort } from 'node:worker_threads'
import '../../src/main/core/listener/listener-thread.ts'

let hostname = ''
parentPort!.on('message', (m: { t: string; settings?: { hostname: string } }) => {
  if (m.t === 'apply') hostname = m.settings?.hostname ?? ''
  if (m.t === 'apply' && hostname === 'crash.example.test') {
    setImmediate(() => {
      throw new Error('a fault on the listener thread')
    })
  }
  // At once, in this handler: before the real one's apply or stop can answer.
  if (m.t === 'apply' && hostname === 'stuck.example.test') {
    for (;;) {
      // Spins: no message is read again, nothing is answered.
    }
  }
  if (m.t === 'stop' && hostname === 'crash-on-stop.example.test') throw new Error('a fault as the thread stopped')
})
