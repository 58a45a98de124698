import path from 'node:path'

// Where the console keeps its settings, database and key file. The desktop
// app and the web adapter resolve it the same way, so one directory can be
// opened by either: `--data-dir` beats SMTP_CONSOLE_DATA_DIR beats the default.

export const DATA_DIR_ENV = 'SMTP_CONSOLE_DATA_DIR'
export const DATA_DIR_FLAG = '--data-dir'

/**
 * The data directory as an absolute path. Accepts `--data-dir=<dir>` and
 * `--data-dir <dir>`; the last one given wins, as with most command lines.
 * Blank values are ignored rather than meaning the working directory.
 */
export function resolveDataDir(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  fallback: string,
  cwd: string = process.cwd(),
): string {
  let fromArgv: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg.startsWith(`${DATA_DIR_FLAG}=`)) {
      fromArgv = nonBlank(arg.slice(DATA_DIR_FLAG.length + 1)) ?? fromArgv
    } else if (arg === DATA_DIR_FLAG) {
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith('--')) {
        fromArgv = nonBlank(next) ?? fromArgv
        i++
      }
    }
  }
  const chosen = fromArgv ?? nonBlank(env[DATA_DIR_ENV]) ?? fallback
  return path.resolve(cwd, chosen)
}

function nonBlank(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined
}
