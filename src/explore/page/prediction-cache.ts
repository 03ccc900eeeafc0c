/**
 * Predictions per α, computed by the page's workers and kept. The slider's latest α goes to the
 * interactive worker, never queued behind background work; a second worker, once attached,
 * computes the background list (every slider position) meanwhile, so positions become instant
 * one by one (until it is attached, the background list waits). A slider request
 * that a newer one replaced before it started resolves to undefined instead of running.
 */
import type { FromWorker, ToWorker } from './protocol';

type Predictions = Int32Array[];

/** The workers' answers, cached by α. */
export class PredictionCache {
  private readonly cache = new Map<number, Predictions>();
  private readonly waiting = new Map<number, ((p: Predictions | undefined) => void)[]>();
  /** α each worker is computing (absent: free). */
  private readonly busy = new Map<Worker, number>();
  private filler: Worker | undefined;
  private wanted: number | undefined;
  private background: number[] = [];
  /** Worker milliseconds of the last α the interactive worker computed. */
  lastComputeMs = 0;

  constructor(private readonly interactive: Worker, private readonly onComputed: (alpha: number, predicted: Predictions) => void = () => {}) {}

  /** The worker that answers the slider. */
  get interactiveWorker(): Worker {
    return this.interactive;
  }

  /** Hands the background list to a second worker (ready to predict). */
  attachFiller(worker: Worker): void {
    this.filler = worker;
    this.pump();
  }

  /** Handles a worker's 'predictions' message. */
  receive(from: Worker, message: Extract<FromWorker, { type: 'predictions' }>): void {
    this.cache.set(message.alpha, message.predicted);
    if (from === this.interactive) this.lastComputeMs = message.ms;
    this.busy.delete(from);
    if (this.wanted === message.alpha) this.wanted = undefined;
    this.settle(message.alpha, message.predicted);
    this.onComputed(message.alpha, message.predicted);
    this.pump();
  }

  /** Predictions at α, cached or computed next; undefined when a newer request replaced it first. */
  get(alpha: number): Promise<Predictions | undefined> {
    const hit = this.cache.get(alpha);
    if (hit) return Promise.resolve(hit);
    const promise = new Promise<Predictions | undefined>((resolve) => this.waiting.set(alpha, [...(this.waiting.get(alpha) ?? []), resolve]));
    if (!this.computing(alpha)) {
      if (this.wanted !== undefined && this.wanted !== alpha) this.settle(this.wanted, undefined);
      this.wanted = alpha;
      this.pump();
    }
    return promise;
  }

  /** Queues α values to compute in the background. */
  fill(alphas: readonly number[]): void {
    this.background.push(...alphas);
    this.pump();
  }

  /** Whether nothing is computing or queued. */
  get idle(): boolean {
    return this.busy.size === 0 && this.wanted === undefined && this.background.every((a) => this.cache.has(a));
  }

  /** Every cached α with its predictions, by increasing α. */
  entries(): [number, Predictions][] {
    return [...this.cache.entries()].sort((a, b) => a[0] - b[0]);
  }

  private computing(alpha: number): boolean {
    return [...this.busy.values()].includes(alpha);
  }

  private settle(alpha: number, predicted: Predictions | undefined): void {
    for (const resolve of this.waiting.get(alpha) ?? []) resolve(predicted);
    this.waiting.delete(alpha);
  }

  private send(worker: Worker, alpha: number): void {
    this.busy.set(worker, alpha);
    worker.postMessage({ type: 'predict', alpha } satisfies ToWorker);
  }

  private nextBackground(): number | undefined {
    while (this.background.length) {
      const alpha = this.background.shift()!;
      if (!this.cache.has(alpha) && !this.computing(alpha)) return alpha;
    }
    return undefined;
  }

  private pump(): void {
    if (!this.busy.has(this.interactive) && this.wanted !== undefined && !this.computing(this.wanted)) this.send(this.interactive, this.wanted);
    // Background work only on the filler: on the interactive worker, a slider move could wait behind it.
    const worker = this.filler;
    if (worker && !this.busy.has(worker)) {
      const next = this.nextBackground();
      if (next !== undefined) this.send(worker, next);
    }
  }
}
