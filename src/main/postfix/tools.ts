import type { RunOptions, RunResult, Runner } from './runner/runner.ts'
import { runText } from './runner/runner.ts'

// One Postfix instance as its tools see it: where they are, and the
// configuration directory they are pointed at (`-c DIR`, as with
// `postmulti`'s instances; none means the server's default, /etc/postfix).

export type PostfixTool = 'postconf' | 'postqueue' | 'postsuper' | 'postcat' | 'postmap' | 'postfix' | 'sendmail'

/** Where Debian, Ubuntu, RHEL and the BSD ports install them. */
const SBIN: Record<PostfixTool, string> = {
  postconf: '/usr/sbin/postconf',
  postqueue: '/usr/sbin/postqueue',
  postsuper: '/usr/sbin/postsuper',
  postcat: '/usr/sbin/postcat',
  postmap: '/usr/sbin/postmap',
  postfix: '/usr/sbin/postfix',
  sendmail: '/usr/sbin/sendmail',
}

/** The tools that need root: they change the queue or the configuration, or read queue files. */
const AS_ROOT: ReadonlySet<PostfixTool> = new Set(['postsuper', 'postcat', 'postmap', 'postfix'])

export interface PostfixInstanceOptions {
  runner: Runner
  /** The instance's configuration directory; absent: the server's default. */
  configDir?: string | undefined
}

export class PostfixTools {
  readonly runner: Runner
  readonly configDir: string | undefined

  constructor(options: PostfixInstanceOptions) {
    this.runner = options.runner
    this.configDir = options.configDir
  }

  /** The arguments that point a tool at this instance (sendmail takes -C, the others -c). */
  private instanceArgs(tool: PostfixTool): string[] {
    if (!this.configDir) return []
    return [tool === 'sendmail' ? '-C' : '-c', this.configDir]
  }

  /** Runs one of Postfix's tools on this instance; root where the tool needs it. */
  run(tool: PostfixTool, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.runner.run(SBIN[tool], [...this.instanceArgs(tool), ...args], { root: AS_ROOT.has(tool), ...options })
  }

  /** Runs a tool and returns its output; an Error naming the command and what it said when it fails. */
  text(tool: PostfixTool, args: readonly string[], options: RunOptions = {}): Promise<string> {
    return runText(this.runner, SBIN[tool], [...this.instanceArgs(tool), ...args], { root: AS_ROOT.has(tool), ...options })
  }

  /** `postconf -h NAME…`: the values of main.cf parameters, in order. */
  async params(names: readonly string[]): Promise<string[]> {
    const out = await this.text('postconf', ['-h', ...names])
    return out.replace(/\n$/, '').split('\n')
  }
}
