import type { ApiError, ErrorCode } from '../../../shared/api.ts'
import { RunnerError } from '../runner/runner.ts'

// What the Postfix backend answers when a command fails, in the admin's words.

/** A Postfix tool refused or failed: what it said, as an API error of this code. */
export class PostfixError extends Error {
  override name = 'PostfixError'
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** The server could not be asked: never an empty queue, always why. */
export function unreachableError(err: RunnerError, what: string): ApiError {
  const why: Record<RunnerError['failure'], string> = {
    unreachable: 'the server could not be reached',
    auth: 'the SSH sign-in was refused',
    'host-key-unknown': 'its SSH host key has not been accepted yet',
    'host-key-changed': 'its SSH host key is not the one accepted before',
    timeout: 'the command did not finish in time',
    'not-found': 'a Postfix tool is missing there',
    sudo: 'sudo asks for a password there',
  }
  // 'conflict': the request is sound, the server is not in a state to answer it; the admin retries once it is.
  return { code: 'conflict', message: `${what} could not be read or changed: ${why[err.failure]}. ${err.message}` }
}
