// Entry of the engine's worker thread: onnxruntime's `run` blocks the thread it runs on, so every model runs
// here, never on the extension host's or the CLI's main thread.
import { parentPort } from 'node:worker_threads';
import { Engine } from '../engine';
import { toErrorInfo } from '../errors';
import { methods } from './methods';
import type { FromWorker, ToWorker } from './protocol';
import type { MethodContext } from '../rpc';
import { transferListOf } from './transfer';

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const engine = new Engine(
  {
    info: (message) => post({ type: 'log', level: 'info', message }),
    warn: (message) => post({ type: 'log', level: 'warn', message }),
    error: (message) => post({ type: 'log', level: 'error', message }),
  },
  undefined,
  repackAfterMs(process.env.BERT_LENS_REPACK_AFTER_MS),
);
/** BERT_LENS_REPACK_AFTER_MS (tests, the benchmark): how long a model's variants and backward graphs stay open
 *  unused (ModelOptions.repackAfterMs; default REPACK_AFTER_MS). */
function repackAfterMs(v: string | undefined): { repackAfterMs?: number } {
  const ms = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(ms) && ms >= 0 ? { repackAfterMs: ms } : {};
}
const running = new Map<number, AbortController>();

port.on('message', async (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(msg.id, controller);
  try {
    if (!Object.hasOwn(methods, msg.method)) throw new Error(`unknown engine method ${msg.method}`);
    // The client typed params by the method map (../rpc.ts); here they are whatever crossed the thread boundary.
    const method = methods[msg.method] as (engine: Engine, params: unknown, ctx: MethodContext) => Promise<unknown>;
    const result = await method(engine, msg.params ?? {}, {
      signal: controller.signal,
      progress: (progress) => post({ type: 'progress', id: msg.id, progress }),
    });
    post({ type: 'result', id: msg.id, result }, transferListOf(result));
  } catch (err) {
    const info = toErrorInfo(err);
    if (info.code === 'internal') post({ type: 'log', level: 'error', message: (err as Error)?.stack ?? String(err) });
    post({ type: 'error', id: msg.id, error: info });
  } finally {
    running.delete(msg.id);
  }
});
