import { runText, type Runner } from '../runner/runner.ts'

// Files on the Postfix server (main.cf, its copy kept for undo, the SASL
// password map), read and written through the runner as root with coreutils,
// so they are handled the same way on this computer and over SSH, and never
// through a shell line.

export class ServerFiles {
  private readonly runner: Runner

  constructor(runner: Runner) {
    this.runner = runner
  }

  /** The file's bytes, or null when there is none. */
  async read(path: string): Promise<Buffer | null> {
    const r = await this.runner.run('cat', ['--', path], { root: true })
    if (r.code !== 0 && !(await this.exists(path))) return null
    if (r.code !== 0) throw new Error(`cat ${path} failed on ${this.runner.where}: ${r.stderr.trim() || `exit code ${String(r.code)}`}`)
    return r.stdout
  }

  async exists(path: string): Promise<boolean> {
    const r = await this.runner.run('test', ['-e', path], { root: true })
    return r.code === 0
  }

  /** A copy with its mode, owner and time (cp -p), byte for byte. */
  async copy(from: string, to: string): Promise<void> {
    await runText(this.runner, 'cp', ['-p', '--', from, to], { root: true })
  }

  async chmod(mode: string, ...paths: string[]): Promise<void> {
    await runText(this.runner, 'chmod', [mode, '--', ...paths], { root: true })
  }

  async remove(...paths: string[]): Promise<void> {
    await runText(this.runner, 'rm', ['-f', '--', ...paths], { root: true })
  }

  /**
   * Writes a file only root can read (0600, owner root): made empty with that
   * mode first, filled from standard input, then renamed over the old one, so
   * the secret is never in a file others can read, nor on a command line.
   */
  async writeSecret(path: string, content: string): Promise<void> {
    const temp = `${path}.smtp-console-new`
    await runText(this.runner, 'install', ['-m', '0600', '-o', 'root', '-g', '0', '/dev/null', temp], { root: true })
    try {
      await runText(this.runner, 'dd', [`of=${temp}`], { root: true, input: content })
      await runText(this.runner, 'mv', ['-f', '--', temp, path], { root: true })
    } catch (err) {
      await this.remove(temp).catch(() => undefined)
      throw err
    }
  }
}
