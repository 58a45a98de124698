import { spawn } from 'node:child_process'

// Opens the console's address in the default browser, where there is a
// desktop to show it on. Never fatal: the address is printed anyway.

export interface Opener {
  command: string
  args: string[]
}

/** The command that opens `url` in the default browser here, or null when there is no desktop. */
export function browserOpener(url: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Opener | null {
  if (platform === 'darwin') return { command: 'open', args: [url] }
  // `start` is a cmd built-in; its first quoted argument is a window title, hence the "".
  // Quoted whole behind /s, as Node quotes a shell command for cmd.
  if (platform === 'win32') return { command: 'cmd.exe', args: ['/d', '/s', '/c', `"start "" "${url}""`] }
  // X11 or Wayland: a session over SSH or a service has neither, and xdg-open would pick a text browser.
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return { command: 'xdg-open', args: [url] }
  return null
}

/** Opens `url`; says on stderr, in one line, when it cannot. */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): void {
  const opener = browserOpener(url, platform, env)
  if (!opener) {
    console.error('No desktop session here to open a browser in: open the address above in one.')
    return
  }
  try {
    const child = spawn(opener.command, opener.args, { stdio: 'ignore', detached: true, windowsVerbatimArguments: platform === 'win32' })
    child.once('error', (err) => console.error(`Could not open a browser (${opener.command}: ${err.message}): open the address above in one.`))
    child.unref()
  } catch (err) {
    console.error(`Could not open a browser (${opener.command}: ${(err as Error).message}): open the address above in one.`)
  }
}
