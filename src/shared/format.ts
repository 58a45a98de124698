// Sizes as the admin reads them, the same in the engine's messages and on every
// page. Units of 1024 with their IEC names (KiB, MiB), as Edit Settings' Message
// size limit (MiB) and the schema's messages already say.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB']

/** "812 B", "4.2 KiB", "12 MiB": one decimal below 10, none above; "—" when there is no size. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—'
  if (bytes < 1024) return `${bytes} B`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  const text = value < 10 ? value.toFixed(1) : Math.round(value).toString()
  return `${text} ${UNITS[unit]}`
}
