// Runs an engine on the data directory given as argv[2] until it is killed:
// the durability tests SIGKILL this process in the middle of deliveries, or,
// with argv[3] 'delete-all' (argv[4] messages per chunk), in the middle of a
// Delete Queue whose progress events it passes to the parent.
import { openEngine } from '../../src/main/core/engine/engine.ts'

const engine = await openEngine({ dataDir: process.argv[2]! })
process.send?.({ ready: true, queued: engine.queueView.count() })
if (process.argv[3] === 'delete-all') {
  engine.bulk.chunk = Number(process.argv[4] ?? 1000)
  engine.on('queue.progress', (p) => process.send?.({ progress: p }))
  void engine.call('queue.deleteAll', undefined).then((r) => process.send?.({ deleted: r }))
}
setInterval(() => undefined, 1000)
