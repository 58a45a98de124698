// Runs an engine whose settings (in the data directory argv[2]) turn local
// submission on, with delivery paused, until it is killed: the durability
// test SIGKILLs it in the middle of a burst from smtp-source.
import { openEngine } from '../../src/main/core/engine/engine.ts'

const engine = await openEngine({ dataDir: process.argv[2]!, startWorker: false })
const until = Date.now() + 10_000
while (engine.status().listener?.state !== 'listening' && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
process.send?.({ ready: true, listener: engine.status().listener })
setInterval(() => undefined, 1000)
