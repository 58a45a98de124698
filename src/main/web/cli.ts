import { parseArgs } from 'node:util'
import { join, resolve } from 'node:path'
import { homedir } from 'node:os'
import { openEngine } from '../core/engine/engine.ts'
import { resolveDataDir } from '../core/storage/paths.ts'
import { openInBrowser } from './browser.ts'
import { startWebServer } from './server.ts'
import { SYSTEM_PARAM } from '../../shared/wire.ts'
import { SystemsHub } from '../systems/hub.ts'
import { openPostfixSystem } from '../systems/open-postfix.ts'
import { postfixSystemFromArgs } from './cli-postfix.ts'

// `npm run serve`: the console in a browser, from the same engine as the app,
// on 127.0.0.1 only. Ctrl-C or SIGTERM drains the worker and closes the database.
// `npm start` runs it too (with --open) when Electron cannot be downloaded.

export const USAGE = `Usage: npm run serve -- [options]

Runs the SMTP Console for a browser, from the same engine and data as the
desktop app, on 127.0.0.1 only. It prints "SMTP Console: <address>"; the
token in that address is what lets a browser in.

Options:
  --port N          the port to listen on, 0 to 65535 (default 0: a free port)
  --data-dir DIR    the data directory (default: $SMTP_CONSOLE_DATA_DIR, else
                    ~/.local/share/smtp-console)
  --static DIR      the built console to serve (default: dist/web, which
                    npm run serve builds first)
  --open            also open the address in the default browser, where there
                    is a desktop session
  --backend postfix open the console on a Postfix server instead of this
                    computer's own engine (added to the System list if it is
                    not there yet; every system stays a pick away)
  --postfix-config DIR
                    that Postfix's configuration directory (default: the
                    server's own, /etc/postfix)
  --ssh USER@HOST[:PORT]
                    reach that Postfix over SSH (default: the one on this
                    computer)
  --identity FILE   the SSH key to sign in with (default: ssh's own)
  --accept-host-key SHA256:…
                    accept the SSH server's host key with this fingerprint, as
                    printed by a first run; a changed key is always refused
  -h, --help        print this help and exit

Ctrl-C stops it: deliveries in flight get 5 seconds to finish, the rest stay
queued for the next start.`

const OPTIONS = {
  port: { type: 'string', default: '0' },
  'data-dir': { type: 'string' },
  static: { type: 'string' },
  open: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  backend: { type: 'string' },
  'postfix-config': { type: 'string' },
  ssh: { type: 'string' },
  identity: { type: 'string' },
  'accept-host-key': { type: 'string' },
} as const

/** parseArgs' message, cut to one line in the admin's words (its own advice is about positionals). */
function usageError(err: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1]
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option ${quoted ?? ''}`.trim()
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Unexpected argument ${quoted ?? ''}: every option starts with --`.trim()
    default:
      return err.message.split(/\.\s/)[0]!.replace(/\.$/, '')
  }
}

/** Runs the console for a browser until SIGINT or SIGTERM; `args` are the command line's options. */
export async function serve(args: string[]): Promise<void> {
  let values
  try {
    values = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }).values
  } catch (err) {
    console.error(`${usageError(err as Error)}; npm run serve -- --help lists the options.`)
    process.exit(2)
  }
  if (values.help) {
    console.log(USAGE)
    return
  }

  const port = Number(values.port)
  if (values.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
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
  const hub = new SystemsHub({ dataDir, local: engine, openPostfix: openPostfixSystem })
  let system: string | null = null
  if (values.backend !== undefined || values.ssh !== undefined || values['postfix-config'] !== undefined) {
    system = await postfixSystemFromArgs(hub, values)
    if (system === null) {
      await hub.close()
      await engine.close()
      process.exit(2)
    }
  }
  const server = await startWebServer(hub, { port, staticDir })
  console.log(`SMTP Console: ${server.url}${system ? `&${SYSTEM_PARAM}=${encodeURIComponent(system)}` : ''}`)
  console.error(`Data directory: ${dataDir}`)
  if (values.open) openInBrowser(server.url)

  let stopping = false
  async function stop(signal: string): Promise<void> {
    if (stopping) {
      console.error(`${signal} again: stopping now.`)
      process.exit(1)
    }
    stopping = true
    console.log(`${signal}: stopping (finishing deliveries in flight)…`)
    await server.close()
    await hub.close()
    await engine!.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

if (import.meta.main) await serve(process.argv.slice(2))
