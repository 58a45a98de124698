import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveDataDir } from '../../src/main/core/storage/paths.ts'

const fallback = '/home/admin/.config/SMTP Console'

describe('resolveDataDir', () => {
  it('uses the default when neither the flag nor the variable is given', () => {
    expect(resolveDataDir(['/opt/smtp-console/smtp-console'], {}, fallback)).toBe(fallback)
  })

  it('takes SMTP_CONSOLE_DATA_DIR over the default', () => {
    expect(resolveDataDir([], { SMTP_CONSOLE_DATA_DIR: '/srv/console' }, fallback)).toBe('/srv/console')
  })

  it('takes --data-dir over the variable, in both spellings', () => {
    const env = { SMTP_CONSOLE_DATA_DIR: '/srv/from-env' }
    expect(resolveDataDir(['app', '--data-dir=/srv/from-flag'], env, fallback)).toBe('/srv/from-flag')
    expect(resolveDataDir(['app', '--data-dir', '/srv/from-flag'], env, fallback)).toBe('/srv/from-flag')
  })

  it('uses the last --data-dir when several are given', () => {
    expect(resolveDataDir(['--data-dir=/a', '--data-dir', '/b'], {}, fallback)).toBe('/b')
  })

  it('ignores blank values instead of meaning the working directory', () => {
    expect(resolveDataDir(['--data-dir='], { SMTP_CONSOLE_DATA_DIR: '  ' }, fallback)).toBe(fallback)
    expect(resolveDataDir(['--data-dir', '--other'], { SMTP_CONSOLE_DATA_DIR: '/srv/env' }, fallback)).toBe('/srv/env')
  })

  it('makes a relative directory absolute against the working directory', () => {
    expect(resolveDataDir(['--data-dir=.data'], {}, fallback, '/work/project')).toBe(path.resolve('/work/project/.data'))
  })

  it('does not read flags after --', () => {
    expect(resolveDataDir(['--', '--data-dir=/elsewhere'], {}, fallback)).toBe(fallback)
  })
})
