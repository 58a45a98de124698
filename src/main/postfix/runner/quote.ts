// ssh hands the server one command line, which the account's login shell
// parses: every word we send is single-quoted so that spaces, quotes, `$()`,
// `;` and newlines in it arrive as given. This assumes a POSIX shell (sh,
// bash, dash, zsh, ksh) as the account's shell, as on every Postfix server.

/** One word for a POSIX shell: inside single quotes nothing is special but the quote itself, written '\''. */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('A command argument cannot hold a NUL character.')
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/**
 * The line the remote shell runs: the program and its arguments, each quoted,
 * through `sudo -n --` when it must run as root and the account is not root;
 * then `statusMark` and the program's exit status on standard error, so that
 * ssh's own failure (exit 255, no mark) is never mistaken for the program's.
 */
export function remoteCommandLine(program: string, args: readonly string[], options: { sudo: boolean; statusMark: string }): string {
  const words = [...(options.sudo ? ['sudo', '-n', '--'] : []), program, ...args].map(shellQuote)
  return `${words.join(' ')}; printf '%s%s\\n' ${shellQuote(options.statusMark)} "$?" >&2`
}

/** Splits the exit status written by remoteCommandLine off the end of standard error; null status when it is not there. */
export function takeStatus(stderr: string, statusMark: string): { status: number | null; stderr: string } {
  const at = stderr.lastIndexOf(statusMark)
  if (at < 0) return { status: null, stderr }
  const m = /^(\d+)\n$/.exec(stderr.slice(at + statusMark.length))
  if (!m) return { status: null, stderr }
  return { status: Number(m[1]), stderr: stderr.slice(0, at) }
}
