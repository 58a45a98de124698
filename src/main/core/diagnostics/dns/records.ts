// The DNS records a fix asks the admin to publish, written the same way in
// every check so they can be copied into a DNS provider's form as they are.

/** "Publish this TXT record at <name>: "<value>"" */
export function publishTxt(name: string, value: string): string {
  return `Publish this TXT record at ${name}: "${value}"`
}

export function publishAddress(name: string, address: string): string {
  return `Publish this ${address.includes(':') ? 'AAAA' : 'A'} record: ${name} → ${address}`
}

/** "a, b and c" */
export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** A sentence that starts with a capital letter, whatever it starts with. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
