import { execSync, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

// `npm start`: build the desktop app and open it. Electron's npm package
// installs without its binary and electron-vite only looks for it, so the
// binary is fetched here, with progress, through Electron's own downloader
// (ELECTRON_MIRROR and the rest of its settings apply). Where that cannot
// work, say so in one paragraph and open the same console in the browser,
// as `npm run serve -- --open` does. Arguments go to the app (--data-dir DIR).

const ROOT = resolve(import.meta.dirname, '..')
// electron-vite and vite find their configs and package.json from here.
process.chdir(ROOT)

const args = process.argv.slice(2)
const env = process.env
const electronDir = dirname(createRequire(join(ROOT, 'package.json')).resolve('electron/package.json'))
const electronVersion = (JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')) as { version: string }).version
// If no byte arrives for this long the network is filtered or the mirror hangs.
const STALL_SECONDS = 30

/** The zip arrived but install.js could not unpack it: the message must not say "could not be downloaded". */
class UnpackError extends Error {}

/** Where Electron's executable is inside its zip, as electron/install.js names it. */
function executableInDist(platform: string): string | undefined {
  if (platform === 'darwin' || platform === 'mas') return 'Electron.app/Contents/MacOS/Electron'
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') return 'electron'
  if (platform === 'win32') return 'electron.exe'
  return undefined
}

/** The installed Electron binary, found as electron's own index.js finds it, or undefined. */
function installedElectron(): string | undefined {
  const pathTxt = join(electronDir, 'path.txt')
  const inDist = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8') : executableInDist(process.platform)
  if (!inDist) return undefined
  const file = join(env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist'), inDist)
  return existsSync(file) ? file : undefined
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)
}

/** A progress line on a terminal; a line per tenth otherwise (a log, an IDE's console). */
function progressReporter(label: string) {
  const tty = process.stderr.isTTY
  let shown = -1
  return {
    update({ transferred, total }: { transferred: number; total: number | null }) {
      const text = total
        ? `${label}: ${Math.floor((transferred / total) * 100)}% (${megabytes(transferred)} of ${megabytes(total)} MB)`
        : `${label}: ${megabytes(transferred)} MB`
      const step = total ? Math.floor((transferred / total) * 10) : Math.floor(transferred / (10 * 1024 * 1024))
      if (tty) process.stderr.write(`\r${text}\x1b[K`)
      else if (step > shown) process.stderr.write(`${text}\n`)
      shown = Math.max(shown, step)
    },
    end() {
      if (tty && shown >= 0) process.stderr.write('\n')
    },
  }
}

/** The deepest cause's message: "fetch failed" says less than "connect ECONNREFUSED 127.0.0.1:9". */
function reason(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined
  while (e && typeof e.cause === 'object' && e.cause && 'message' in e.cause) e = e.cause as typeof e
  return (e?.message ?? String(err)).replace(/\.$/, '')
}

/** Downloads Electron's zip into @electron/get's cache with progress, then lets electron/install.js unpack it. */
async function downloadElectron(): Promise<string> {
  // The very downloader install.js uses, asked for the very artifact it asks for, so that
  // install.js finds the zip in the cache and only unpacks it and writes path.txt.
  const getEntry = createRequire(join(electronDir, 'install.js')).resolve('@electron/get')
  const { downloadArtifact } = (await import(pathToFileURL(getEntry).href)) as typeof import('@electron/get')
  type Progress = import('@electron/get').Progress
  const platform = env.ELECTRON_INSTALL_PLATFORM || env.npm_config_platform || process.platform
  let arch = env.ELECTRON_INSTALL_ARCH || env.npm_config_arch || process.arch
  if (platform === 'darwin' && process.platform === 'darwin' && arch === 'x64' && env.npm_config_arch === undefined) {
    // Node for Intel under Rosetta on Apple silicon: install.js fetches the arm64 build then.
    try {
      if (execSync('sysctl -in sysctl.proc_translated').toString().trim() === '1') arch = 'arm64'
    } catch {
      // Not a Mac that knows Rosetta.
    }
  }
  const remoteChecksums = env.electron_use_remote_checksums || env.npm_config_electron_use_remote_checksums
  const checksums = remoteChecksums ? undefined : (JSON.parse(readFileSync(join(electronDir, 'checksums.json'), 'utf8')) as Record<string, string>)

  const stalled = new AbortController()
  let stallTimer: NodeJS.Timeout | undefined
  const watch = () => {
    clearTimeout(stallTimer)
    stallTimer = setTimeout(() => stalled.abort(new Error(`no data arrived for ${STALL_SECONDS} s`)), STALL_SECONDS * 1000)
  }
  const progress = progressReporter(`Downloading Electron ${electronVersion} (${platform}-${arch})`)
  console.error(`Electron's binary is not installed yet: downloading it once (about 100 MB) from ${mirrorName()}.`)
  watch()
  try {
    await downloadArtifact({
      version: electronVersion,
      artifactName: 'electron',
      platform,
      arch,
      cacheRoot: env.electron_config_cache,
      checksums,
      downloadOptions: {
        quiet: true,
        signal: stalled.signal,
        getProgressCallback: async (p: Progress) => {
          watch()
          progress.update(p)
        },
      } satisfies import('@electron/get').FetchDownloaderOptions,
    })
  } catch (err) {
    throw stalled.signal.aborted ? stalled.signal.reason : err
  } finally {
    clearTimeout(stallTimer)
    progress.end()
  }

  // install.js finds the zip just downloaded in the cache and only unpacks it; force_no_cache would make it
  // download again without the stall watchdog, and the timeout bounds it whatever happens.
  const { force_no_cache: _ignored, ...unpackEnv } = env
  const unpack = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit', env: unpackEnv, timeout: 5 * 60_000 })
  if (unpack.status !== 0) throw new UnpackError(unpack.error?.message ?? `electron/install.js exited with ${unpack.status ?? unpack.signal}`)
  const binary = installedElectron()
  if (!binary) throw new UnpackError(`no Electron binary in ${env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist')} afterwards`)
  return binary
}

/** Where @electron/get downloads from, for the message: the mirror settings it reads, or GitHub. */
function mirrorName(): string {
  return env.npm_config_electron_mirror || env.ELECTRON_MIRROR || 'https://github.com/electron/electron/releases'
}

async function openDesktopApp(binary: string): Promise<void> {
  // electron-vite reads both: the executable, and the arguments after the app's folder.
  env.ELECTRON_EXEC_PATH = binary
  if (args.length > 0) env.ELECTRON_CLI_ARGS = JSON.stringify(args)
  const { preview } = await import('electron-vite')
  await preview({}, { skipBuild: false })
}

async function openInBrowserInstead(err: unknown): Promise<void> {
  const what =
    err instanceof UnpackError
      ? `Electron ${electronVersion} was downloaded from ${mirrorName()} but could not be unpacked: ${reason(err)}.`
      : `Electron ${electronVersion} could not be downloaded from ${mirrorName()}: ${reason(err)}.`
  console.error(
    [
      `SMTP Console could not start as a desktop app: ${what}`,
      `To get it, set ELECTRON_MIRROR to a mirror you can reach (ELECTRON_MIRROR=https://mirror.example/electron/ npm start),`,
      `or install the package for this system, built elsewhere with npm run package.`,
      `Meanwhile the same console runs in the browser, as npm run serve does.`,
    ].join('\n'),
  )
  const { build } = await import('vite')
  await build({ configFile: join(ROOT, 'vite.web.config.ts'), logLevel: 'warn' })
  const { serve } = await import('../src/main/web/cli.ts')
  await serve([...args, '--open'])
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

const chosen = env.ELECTRON_EXEC_PATH
if (chosen) {
  if (!isExecutableFile(chosen)) {
    console.error(`ELECTRON_EXEC_PATH is ${chosen}, which is not an executable file: correct it, or unset it to use (or download) Electron from node_modules.`)
    process.exit(1)
  }
  await openDesktopApp(chosen)
} else {
  const installed = installedElectron()
  if (installed) {
    await openDesktopApp(installed)
  } else {
    let binary: string | undefined
    let failure: unknown
    try {
      binary = await downloadElectron()
    } catch (err) {
      failure = err
    }
    if (binary) await openDesktopApp(binary)
    else await openInBrowserInstead(failure)
  }
}
