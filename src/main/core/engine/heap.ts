import { setFlagsFromString } from 'node:v8'

// The engine lives in the app's main process, mostly idle, then busy for a
// burst (5,000 test emails, a Flush Queue of a long queue). V8's defaults size
// the heap for throughput: during such a burst the young generation grows to
// tens of MB and the old one is let grow to several times what is alive, so
// the process peaked above 500 MB with 20-40 MB of it live. These two limits,
// read by V8 whenever it resizes the heap, keep the peak near what is live for
// a few percent more time in the garbage collector.

let applied = false

/** Keeps the heap close to its live size; once per process. */
export function favourSmallHeap(): void {
  if (applied) return
  applied = true
  // The young generation stays at its starting size instead of doubling while a burst lasts.
  setFlagsFromString('--semi-space-growth-factor=1')
  // After a full collection the old generation may grow by 10% before the next (V8's default is up to 4 times).
  setFlagsFromString('--heap-growing-percent=10')
}
