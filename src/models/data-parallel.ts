/**
 * Data-parallel training on several cores: each worker thread holds its own tfjs and wasm
 * instance and an identical replica of the model. Per step every worker computes gradients on
 * its share of the batch; the main thread averages them (weighted by share size) and every
 * replica applies the same update, so the replicas stay bit-identical.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendRequest } from '../engine/backend';

/** What a replica is built from. */
export interface ReplicaSpec {
  /** Architecture name in the model registry. */
  arch: string;
  seed: number;
  inputShape: [number, number, number];
  classes: number;
  optimizer: { name: 'sgd' | 'adam'; learningRate: number };
  backend?: BackendRequest;
  /** Width multiplier of the architecture. */
  width?: number;
}

/** Everything needed to resume training: weights and optimizer slots, as flat arrays. */
export interface ReplicaState {
  weights: Float32Array[];
  shapes: number[][];
  optimizer: Float32Array[];
  optimizerShapes: number[][];
}

type Reply = { type: 'ready' } | { type: 'grads'; loss: number; grads: Float32Array } | { type: 'applied' } | { type: 'state'; state: ReplicaState } | { type: 'restored' } | { type: 'error'; message: string };

class Replica {
  private readonly worker: Worker;
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;

  constructor(spec: ReplicaSpec) {
    // Under tsx (tests, development) the worker registers tsx itself: workers ignore --import.
    const ts = __filename.endsWith('.ts');
    const file = path.join(__dirname, `data-parallel-worker.${ts ? 'ts' : 'js'}`);
    this.worker = ts
      ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { eval: true, workerData: spec })
      : new Worker(file, { workerData: spec });
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (reply.type === 'error') p.reject(new Error(`editlab worker: ${reply.message}`));
      else p.resolve(reply);
    });
    this.worker.on('error', (e) => { this.pending?.reject(e); this.pending = undefined; });
  }

  request(message: unknown, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.pending) throw new Error('editlab worker: a request is already in flight');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** A pool of model replicas trained in lock step. */
export class DataParallelTrainer {
  private constructor(private readonly replicas: Replica[], readonly spec: ReplicaSpec) {}

  /** Starts `workers` replicas (each loads its own backend) and waits until all are ready. */
  static async start(workers: number, spec: ReplicaSpec): Promise<DataParallelTrainer> {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`editlab: workers must be a positive integer, got ${workers}.`);
    const replicas = Array.from({ length: workers }, () => new Replica(spec));
    try {
      await Promise.all(replicas.map((r) => r.request({ type: 'init' })));
    } catch (e) {
      await Promise.all(replicas.map((r) => r.terminate()));
      throw e;
    }
    return new DataParallelTrainer(replicas, spec);
  }

  get workers(): number {
    return this.replicas.length;
  }

  /**
   * One synchronous step on a batch (NHWC floats, int labels): shares are split across the
   * replicas, gradients averaged, the update applied everywhere (at `learningRate` when given,
   * else the optimizer's current one). Returns the batch's mean loss.
   */
  async step(images: Float32Array, labels: Int32Array, learningRate?: number): Promise<number> {
    const n = labels.length;
    const size = images.length / n;
    const shares = this.replicas.map((_, i) => {
      const lo = Math.floor((i * n) / this.replicas.length), hi = Math.floor(((i + 1) * n) / this.replicas.length);
      return { lo, hi };
    }).filter((s) => s.hi > s.lo);
    const replies = await Promise.all(shares.map(({ lo, hi }, i) => {
      const x = images.slice(lo * size, hi * size);
      const y = labels.slice(lo, hi);
      return this.replicas[i].request({ type: 'grads', x, y }, [x.buffer, y.buffer]);
    }));
    const grads = replies.map((r) => (r as { grads: Float32Array }).grads);
    const mean = new Float32Array(grads[0].length);
    let loss = 0;
    replies.forEach((r, i) => {
      const w = (shares[i].hi - shares[i].lo) / n;
      loss += w * (r as { loss: number }).loss;
      const g = grads[i];
      for (let j = 0; j < g.length; j++) mean[j] += w * g[j];
    });
    await Promise.all(this.replicas.map((r) => {
      const copy = mean.slice();
      return r.request({ type: 'apply', grads: copy, learningRate }, [copy.buffer]);
    }));
    return loss;
  }

  /** Weights and optimizer state (from the first replica; all are identical). */
  async state(): Promise<ReplicaState> {
    return ((await this.replicas[0].request({ type: 'state' })) as { state: ReplicaState }).state;
  }

  /** Sets every replica's weights and optimizer state (to resume training). */
  async restore(state: ReplicaState): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.request({ type: 'restore', state })));
  }

  /** Stops the worker threads. */
  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.terminate()));
  }
}
