// The listener's real thread, made to fail the way a bug would: settings
// whose hostname is crash.example.test make it throw, uncaught, on the
// thread. The listener-thread test uses it to see what the engine does when
// its listener's thread dies under it.
import { parentPort } from 'node:worker_threads'
import '../../src/main/core/listener/listener-thread.ts'

parentPort!.on('message', (m: { t: string; settings?: { hostname: string } }) => {
  if (m.t === 'apply' && m.settings?.hostname === 'crash.example.test') setImmediate(() => {
    throw new Error('a fault on the listener thread')
  })
})
