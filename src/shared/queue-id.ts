// A queue id as the queue makes them: 12 upper-case hex digits, like a
// Postfix short queue id, so an admin can paste one into any search box.

/** Random bytes in an id; each is two hex digits. */
export const QUEUE_ID_BYTES = 6
export const QUEUE_ID = /^[0-9A-F]{12}$/

/** Whether `text` is a whole queue id, typed in either case. */
export function isQueueId(text: string): boolean {
  return QUEUE_ID.test(text.toUpperCase())
}
