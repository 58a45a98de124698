import { parseRequest } from '../../shared/api.ts'
import type { SystemsHub } from '../systems/hub.ts'

// `npm run serve -- --backend postfix [--postfix-config DIR] [--ssh USER@HOST[:PORT]]`:
// the Postfix server named on the command line, added to the System list the
// first time, opened in the printed address. Its SSH host key is accepted only
// with --accept-host-key and the fingerprint a first run printed.

export interface PostfixArgs {
  backend?: string | undefined
  'postfix-config'?: string | undefined
  ssh?: string | undefined
  identity?: string | undefined
  'accept-host-key'?: string | undefined
}

/** The system's id, or null after saying on stderr why it cannot be opened. */
export async function postfixSystemFromArgs(hub: SystemsHub, args: PostfixArgs): Promise<string | null> {
  if (args.backend !== undefined && args.backend !== 'postfix') {
    console.error(`--backend is postfix (this computer's own engine needs no option); got ${args.backend}`)
    return null
  }
  const ssh = args.ssh?.trim() || undefined
  const configDir = args['postfix-config']?.trim() || undefined
  const where = ssh ? (/:\d+$/.test(ssh) ? ssh : `${ssh}:22`) : 'this computer'
  const listed = await hub.call('systems.list', undefined)
  if (!listed.ok) throw new Error(listed.error.message)
  let system = listed.data.systems.find((s) => s.kind === 'postfix' && s.where === where && (s.configDir ?? '') === (configDir ?? ''))
  let fingerprint: string | null = null
  if (!system) {
    const name = ssh ? ssh.replace(/^[^@]*@/, '').replace(/:\d+$/, '') : configDir ? `Postfix ${configDir}` : 'Postfix'
    const parsed = parseRequest('systems.add', { name, kind: 'postfix', ssh: ssh ?? '', configDir: configDir ?? '', identityFile: args.identity ?? '' })
    if (!parsed.ok) {
      console.error(Object.values(parsed.error.fields ?? {})[0] ?? parsed.error.message)
      return null
    }
    const added = await hub.call('systems.add', parsed.data)
    if (!added.ok) {
      console.error(added.error.message)
      return null
    }
    system = added.data.system
    fingerprint = added.data.hostKey?.fingerprint ?? null
    console.error(`Added ${system.name} (${system.where}) to the System list.`)
  } else if (ssh) {
    fingerprint = (await (await hub.engine(system.id)).unknownHostKey?.()) ?? null
  }
  if (fingerprint) {
    if (args['accept-host-key'] !== fingerprint) {
      console.error(
        `${where} offers the SSH host key ${fingerprint}, which SMTP Console has not accepted yet. Compare it with the server's own ` +
          `(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there), then run again with --accept-host-key ${fingerprint}`,
      )
      return null
    }
    const accepted = await hub.call('systems.acceptHostKey', { id: system.id, fingerprint })
    if (!accepted.ok) {
      console.error(accepted.error.message)
      return null
    }
    console.error(`Accepted the host key of ${where}.`)
  }
  return system.id
}
