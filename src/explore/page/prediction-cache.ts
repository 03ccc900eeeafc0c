/**
 * Predictions per α, computed by the page's workers and kept. Each α is split into parts (a
 * share of the image batches each; the page makes one part of each batch), and each worker owns
 * the parts `index`, `index + owners`, … (it holds only those batches' activations), so a slider
 * move uses every core; the slider's latest α comes first, then the background list (every
 * slider position), one part at a time, so a move never waits behind more than one part of
 * background work on each worker. A slider request that a newer one replaced before any of its
 * parts started resolves to undefined instead of running; one already started is finished (and kept).
 */
import { mergeParts } from '../parts';
import type { FromWorker, ToWorker } from './protocol';

type Predictions = Int32Array[];

/** The workers' answers, cached by α. */
export class PredictionCache {
  private readonly cache = new Map<number, Predictions>();
  /** α → the parts received so far (by part index), until all are in. */
  private readonly partial = new Map<number, Predictions[]>();
  /** α → when its first part was sent (for {@link lastComputeMs}). */
  private readonly started = new Map<number, number>();
  private readonly waiting = new Map<number, ((p: Predictions | undefined) => void)[]>();
  /** Attached workers and the share of the parts each owns. */
  private readonly workers = new Map<Worker, number>();
  /** The part each worker is computing (absent: free). */
  private readonly busy = new Map<Worker, { alpha: number; index: number }>();
  /** α values to finish before the background: the slider's latest first, then ones it replaced mid-way. */
  private urgent: number[] = [];
  private background: number[] = [];
  /** Open {@link holdBackground} calls: while any is open, no background part starts. */
  private holds = 0;
  /** Milliseconds from the first part sent to the whole prediction, for the last slider α computed. */
  lastComputeMs = 0;

  /**
   * @param parts the parts each α is split into (at least one per owner, so that every worker can help)
   * @param owners the workers sharing the parts (part p belongs to owner p % owners)
   * @param onComputed called when an α's prediction is complete
   */
  constructor(
    private readonly parts: number,
    private readonly owners: number,
    private readonly onComputed: (alpha: number, predicted: Predictions) => void = () => {},
  ) {}

  /** A worker that has loaded the model for its share (`owner`, 0 to owners − 1) and can take parts. */
  attach(worker: Worker, owner: number): void {
    if (!(Number.isInteger(owner) && owner >= 0 && owner < this.owners)) throw new Error(`editlab explore: owner ${owner} is not one of 0…${this.owners - 1}.`);
    this.workers.set(worker, owner);
    this.pump();
  }

  /** Handles a worker's 'predictions' message (one part of one α). */
  receive(from: Worker, message: Extract<FromWorker, { type: 'predictions' }>): void {
    this.busy.delete(from);
    const { alpha } = message;
    const received = this.partial.get(alpha) ?? [];
    received[message.part.index] = message.predicted;
    this.partial.set(alpha, received);
    if (received.filter(Boolean).length === this.parts) {
      const predicted = mergeParts(received);
      this.cache.set(alpha, predicted);
      this.partial.delete(alpha);
      if (this.urgent[0] === alpha) this.lastComputeMs = performance.now() - this.started.get(alpha)!;
      this.urgent = this.urgent.filter((a) => a !== alpha);
      this.settle(alpha, predicted);
      this.onComputed(alpha, predicted);
    }
    this.pump();
  }

  /** Whether α's prediction is computed. */
  has(alpha: number): boolean {
    return this.cache.has(alpha);
  }

  /** Predictions at α, cached or computed next; undefined when a newer request replaced it first. */
  get(alpha: number): Promise<Predictions | undefined> {
    const hit = this.cache.get(alpha);
    if (hit) return Promise.resolve(hit);
    const promise = new Promise<Predictions | undefined>((resolve) => this.waiting.set(alpha, [...(this.waiting.get(alpha) ?? []), resolve]));
    const [latest] = this.urgent;
    if (latest !== alpha) {
      // The previous request: dropped when nothing of it started, else finished after this one.
      if (latest !== undefined && !this.started.has(latest)) {
        this.urgent.shift();
        this.settle(latest, undefined);
      }
      this.urgent = [alpha, ...this.urgent.filter((a) => a !== alpha)];
      this.pump();
    }
    return promise;
  }

  /**
   * Starts no background part until the returned function is called (urgent parts still run):
   * the page holds the background while it draws an α, so that the workers do not take the
   * cores from the drawing (on two cores a redraw took 180–450 ms beside them, 60–90 alone).
   */
  holdBackground(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.pump();
    };
  }

  /** Queues α values to compute in the background. */
  fill(alphas: readonly number[]): void {
    this.background.push(...alphas);
    this.pump();
  }

  /** Whether nothing is computing or queued. */
  get idle(): boolean {
    return this.busy.size === 0 && this.urgent.length === 0 && this.background.every((a) => this.cache.has(a));
  }

  /** Every cached α with its predictions, by increasing α. */
  entries(): [number, Predictions][] {
    return [...this.cache.entries()].sort((a, b) => a[0] - b[0]);
  }

  private settle(alpha: number, predicted: Predictions | undefined): void {
    for (const resolve of this.waiting.get(alpha) ?? []) resolve(predicted);
    this.waiting.delete(alpha);
  }

  /** The first part of α (of `owner`'s, or anyone's) that is neither received nor being computed. */
  private openPart(alpha: number, owner?: number): number | undefined {
    if (this.cache.has(alpha)) return undefined;
    const received = this.partial.get(alpha) ?? [];
    const running = [...this.busy.values()].filter((b) => b.alpha === alpha).map((b) => b.index);
    for (let index = 0; index < this.parts; index++) {
      if ((owner === undefined || index % this.owners === owner) && !received[index] && !running.includes(index)) return index;
    }
    return undefined;
  }

  /** The next of `owner`'s parts to compute: the urgent α values' first, then the background list's. */
  private nextPart(owner: number): { alpha: number; index: number } | undefined {
    for (const alpha of this.urgent) {
      const index = this.openPart(alpha, owner);
      if (index !== undefined) return { alpha, index };
    }
    if (this.holds > 0) return undefined;
    while (this.background.length && this.openPart(this.background[0]) === undefined) this.background.shift(); // done or fully under way
    for (const alpha of this.background) {
      const index = this.openPart(alpha, owner);
      if (index !== undefined) return { alpha, index };
    }
    return undefined;
  }

  private pump(): void {
    for (const [worker, owner] of this.workers) {
      if (this.busy.has(worker)) continue;
      const part = this.nextPart(owner);
      if (!part) continue;
      this.busy.set(worker, part);
      if (!this.started.has(part.alpha)) this.started.set(part.alpha, performance.now());
      worker.postMessage({ type: 'predict', alpha: part.alpha, part: { index: part.index, count: this.parts } } satisfies ToWorker);
    }
  }
}
