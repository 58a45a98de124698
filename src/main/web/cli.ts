import { parseArgs } from 'node:util'
import { join, resolve } from 'node:path'
import { homedir } from 'node:os'
import { openEngine } from '../core/engine.ts'
import { resolveDataDir } from '../core/paths.ts'
import { startWebServer } from './server.ts'

// `npm run serve`: the console in a browser, from the same engine as the app,
// on 127.0.0.1 only. Ctrl-C or SIGTERM drains the worker and closes the database.

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'data-dir': { type: 'string' },
    static: { type: 'string' },
  },
  allowPositionals: false,
})

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a number from 0 to 65535 (0 picks a free port); got ${values.port}`)
  process.exit(2)
}
const argv = values['data-dir'] ? [`--data-dir=${values['data-dir']}`] : []
const dataDir = resolve(resolveDataDir(argv, process.env, join(homedir(), '.local', 'share', 'smtp-console')))
const staticDir = resolve(values.static ?? join(import.meta.dirname, '..', '..', '..', 'dist', 'web'))

let engine
try {
  engine = await openEngine({ dataDir })
} catch (err) {
  console.error(`SMTP Console could not start: ${(err as Error).message}`)
  process.exit(1)
}
const server = await startWebServer(engine, { port, staticDir })
console.log(`SMTP Console: ${server.url}`)
console.error(`Data directory: ${dataDir}`)

let stopping = false
async function stop(signal: string): Promise<void> {
  if (stopping) {
    console.error(`${signal} again: stopping now.`)
    process.exit(1)
  }
  stopping = true
  console.log(`${signal}: stopping (finishing deliveries in flight)…`)
  await server.close()
  await engine!.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
