// Runs an engine on the data directory given as argv[2] until it is killed:
// the durability test SIGKILLs this process in the middle of deliveries.
import { openEngine } from '../../src/main/core/engine/engine.ts'

const engine = await openEngine({ dataDir: process.argv[2]! })
process.send?.({ ready: true, queued: engine.queueView.count() })
setInterval(() => undefined, 1000)
