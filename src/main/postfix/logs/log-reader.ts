import type { Runner } from '../runner/runner.ts'
import type { PostfixTools } from '../tools.ts'

// Where the server's mail log is and what it gained since the last read,
// through the Runner only (stat, dd, journalctl), so the same code reads the
// log of this computer and of a server over SSH. A file is read by inode and
// byte offset: a new inode is a rotation (the rest of the old file is read
// from its `.1` first, when it is there), a file shorter than the offset was
// truncated; both are read again from their start. A line not yet ended by a
// newline waits for the next read.

export type LogSource = { kind: 'file'; path: string } | { kind: 'journal'; units: string[] }

/** Where a file read stopped, or the journal's cursor. */
export type LogPosition = { kind: 'file'; path: string; inode: string; offset: number } | { kind: 'journal'; cursor: string }

export interface LogChunk {
  lines: string[]
  /** Where the next read starts; saved with the rows these lines made. */
  next: LogPosition | null
  /** Whether more is there already (the chunk stopped at its size). */
  more: boolean
}

/** The most one read takes: about 25,000 lines, a fraction of a second to parse and write. */
export const CHUNK_BYTES = 4 * 1024 * 1024
const BLOCK = 64 * 1024
const NEWLINE = 0x0a

const DEFAULT_FILES = ['/var/log/mail.log', '/var/log/maillog']
/** Debian's and Red Hat's units: postfix.service, or postfix@-.service with postfix.service as its wrapper. */
const JOURNAL_UNITS = ['postfix.service', 'postfix@*']

/** `postconf -h maillog_file` when set, else /var/log/mail.log or /var/log/maillog, else the journal. */
export async function findLogSource(tools: PostfixTools): Promise<LogSource> {
  const [maillogFile] = await tools.params(['maillog_file']).catch(() => [''])
  if (maillogFile?.trim()) return { kind: 'file', path: maillogFile.trim() }
  for (const path of DEFAULT_FILES) if (await statFile(tools.runner, path)) return { kind: 'file', path }
  return { kind: 'journal', units: JOURNAL_UNITS }
}

/** The file's inode and size, or null when it is not there. */
export async function statFile(runner: Runner, path: string): Promise<{ inode: string; size: number } | null> {
  // GNU stat, then the BSDs' (-f, %z).
  for (const args of [['-L', '-c', '%i:%s', path], ['-L', '-f', '%i:%z', path]]) {
    const r = await runner.run('stat', args)
    const out = /^(\d+):(\d+)\s*$/.exec(r.stdout.toString('utf8'))
    if (r.code === 0 && out) return { inode: out[1]!, size: Number(out[2]) }
    if (/No such file|cannot stat|does not exist/i.test(r.stderr)) return null
  }
  return null
}

export class LogReader {
  private readonly runner: Runner
  readonly source: LogSource
  private readonly chunkBytes: number
  /** Whether the log is readable only as root (learned at the first refusal). */
  private asRoot = false

  constructor(runner: Runner, source: LogSource, options: { chunkBytes?: number } = {}) {
    this.runner = runner
    this.source = source
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES
  }

  /** Reads from `from` (null: the start of the log); at most one chunk. */
  read(from: LogPosition | null): Promise<LogChunk> {
    return this.source.kind === 'file' ? this.readFile(this.source.path, from?.kind === 'file' && from.path === this.source.path ? from : null) : this.readJournal(this.source.units, from?.kind === 'journal' ? from.cursor : null)
  }

  private async readFile(path: string, from: { inode: string; offset: number } | null): Promise<LogChunk> {
    const now = await statFile(this.runner, path)
    if (!now) return { lines: [], next: from ? { kind: 'file', path, ...from } : null, more: false }
    if (from && from.inode !== now.inode) {
      // Rotated: what the old file gained after the last read is in path.1 when the rotation renamed it.
      const old = await statFile(this.runner, `${path}.1`)
      if (old && old.inode === from.inode && old.size > from.offset) {
        const part = await this.readRange(`${path}.1`, from.offset, old.size, true)
        const done = part.offset >= old.size
        return {
          lines: part.lines,
          next: done ? { kind: 'file', path, inode: now.inode, offset: 0 } : { kind: 'file', path, inode: from.inode, offset: part.offset },
          more: true,
        }
      }
      from = null
    }
    // The same inode, shorter than where we were: truncated (copytruncate), read from its start.
    const start = from && from.offset <= now.size ? from.offset : 0
    const part = await this.readRange(path, start, now.size, false)
    return { lines: part.lines, next: { kind: 'file', path, inode: now.inode, offset: part.offset }, more: part.limited }
  }

  /** Whole lines from `start` up to `end` (at most a chunk); `last` takes an unended last line too (a file no longer written). */
  private async readRange(path: string, start: number, end: number, last: boolean): Promise<{ lines: string[]; offset: number; limited: boolean }> {
    const stop = Math.min(end, start + this.chunkBytes)
    if (stop <= start) return { lines: [], offset: start, limited: false }
    const first = Math.floor(start / BLOCK)
    const blocks = Math.ceil((stop - first * BLOCK) / BLOCK)
    const bytes = (await this.dd(path, first, blocks)).subarray(start - first * BLOCK, stop - first * BLOCK)
    let cut = bytes.lastIndexOf(NEWLINE) + 1
    const atEnd = start + bytes.length >= end
    if (last && atEnd) cut = bytes.length
    // One line longer than a chunk: taken as it is rather than read again forever.
    else if (cut === 0 && bytes.length >= this.chunkBytes) cut = bytes.length
    const text = bytes.subarray(0, cut).toString('utf8')
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return { lines, offset: start + cut, limited: stop < end }
  }

  /** `dd` in whole blocks: POSIX dd has no byte offsets. */
  private async dd(path: string, skip: number, count: number): Promise<Buffer> {
    const args = [`if=${path}`, `bs=${BLOCK}`, `skip=${skip}`, `count=${count}`]
    let r = await this.runner.run('dd', args, { root: this.asRoot })
    if (r.code !== 0 && !this.asRoot && /Permission denied/i.test(r.stderr)) {
      this.asRoot = true
      r = await this.runner.run('dd', args, { root: true })
    }
    if (r.code !== 0) throw new Error(`Cannot read the mail log ${path} on ${this.runner.where}: ${r.stderr.trim().split('\n').pop() ?? `dd exit code ${String(r.code)}`}`)
    return r.stdout
  }

  private async readJournal(units: string[], cursor: string | null): Promise<LogChunk> {
    const args = ['--no-pager', '--quiet', '--output=short-iso-precise', '--show-cursor', ...units.map((u) => `--unit=${u}`)]
    // The first read starts at yesterday's midnight: what Today's and Yesterday's Report need.
    args.push(cursor ? `--after-cursor=${cursor}` : '--since=yesterday')
    const r = await this.runner.run('journalctl', args, { root: true })
    if (r.code !== 0) throw new Error(`journalctl failed on ${this.runner.where}: ${r.stderr.trim().split('\n').pop() ?? `exit code ${String(r.code)}`}`)
    const { lines, cursor: next } = journalLines(r.stdout.toString('utf8'))
    const at = next ?? cursor
    return { lines, next: at ? { kind: 'journal', cursor: at } : null, more: false }
  }
}

/** journalctl's lines and the cursor --show-cursor prints after them ("-- cursor: s=…"). */
export function journalLines(out: string): { lines: string[]; cursor: string | null } {
  let cursor: string | null = null
  const lines: string[] = []
  for (const line of out.split('\n')) {
    const c = /^-- cursor: (.+)$/.exec(line)
    if (c) cursor = c[1]!.trim()
    else if (line && !line.startsWith('-- ')) lines.push(line)
  }
  return { lines, cursor }
}
