import { describe, expect, it } from 'vitest'
import { LocalRunner } from '../../../src/main/postfix/runner/local.ts'
import { RunnerError, runText } from '../../../src/main/postfix/runner/runner.ts'

// The runner every Postfix command on this computer goes through: a program
// and its arguments, never a shell line; a failure to run told apart from a
// command that ran and failed.

describe('LocalRunner', () => {
  const runner = new LocalRunner({ timeoutMs: 5000 })

  it('runs a program with its arguments as given, no shell between, and hands it standard input', async () => {
    const r = await runner.run('sh', ['-c', 'printf "%s|" "$@"; cat', 'sh', 'a b', '$(id)', ';rm -rf x'], { input: 'from stdin' })
    expect(r.code).toBe(0)
    expect(r.stdout.toString()).toBe('a b|$(id)|;rm -rf x|from stdin')
  })

  it('returns a failed command as a result with its exit code and error output', async () => {
    const r = await runner.run('sh', ['-c', 'echo oops >&2; exit 3'])
    expect(r).toMatchObject({ code: 3, stderr: 'oops\n' })
    await expect(runText(runner, 'sh', ['-c', 'echo oops >&2; exit 3'])).rejects.toThrow('sh -c echo oops >&2; exit 3 failed on this computer: oops')
  })

  it('tells a program that is not there, and one that ran past its time, from a failed command', async () => {
    await expect(runner.run('/nonexistent/postqueue', ['-j'])).rejects.toMatchObject({ failure: 'not-found' })
    const slow = new LocalRunner({ timeoutMs: 200 })
    const err = await slow.run('sleep', ['5']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RunnerError)
    expect(err).toMatchObject({ failure: 'timeout' })
  })
})
