// The top lists of a report (senders, recipients, domains, causes).

/**
 * The first `top` entries, largest `value` first, then largest `then`, then
 * by name. A bounded insertion: a day can have a hundred thousand
 * recipients, and only the few that beat the last kept one cost anything.
 */
export function topBy<T>(items: T[], top: number, value: (x: T) => number, name: (x: T) => string = (x) => (x as { key: string }).key, then: (x: T) => number = () => 0): T[] {
  const before = (a: T, b: T) => value(b) - value(a) || then(b) - then(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)
  const kept: T[] = []
  if (top <= 0) return kept
  for (const item of items) {
    if (kept.length === top && before(item, kept[top - 1]!) >= 0) continue
    let i = kept.length
    while (i > 0 && before(item, kept[i - 1]!) < 0) i--
    kept.splice(i, 0, item)
    if (kept.length > top) kept.pop()
  }
  return kept
}
