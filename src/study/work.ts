/**
 * How much work a job is, and how long a run has left. Jobs differ by two orders of magnitude
 * (fine-tuning vgg-small's first block and sweeping it takes minutes, a ViT's late-layer rewrite
 * seconds), and a plan lists one model's jobs after another's, so counting jobs would promise a
 * run hours it will not take while it works on its largest model. Each job's work is estimated
 * in multiply-adds from its model's layers; what a multiply-add of training and of evaluation
 * costs in seconds is learnt from the jobs the run has finished.
 */
import { getEditMethod } from '../edits/registry';
import { multiplyAddsFrom } from '../models/cost';
import { ALL_LAYERS, type StudyJob, type StudyPlan } from './jobs';

/** A job's estimated work in multiply-adds. */
export interface JobWork {
  /** Training its edit: 0 for a job that reuses another's edit. */
  train: number;
  /** Its α sweep, per evaluated image (every job of a spec evaluates about the same images). */
  evaluate: number;
}

/** Forward and backward passes of a training step, in forward passes. */
const TRAINING_PASSES = 3;
/** The batch of a fine-tuning step (rewriting uses every exemplar: the same at the default 64). */
const STEP_BATCH = 64;

/**
 * A job's estimated work: the layers from ℓ on (the whole model for a layer-independent job) at
 * every α but 0 (the original's predictions are made once per model), and, unless it reuses an
 * edit, its training steps over the layers its loss runs through (ℓ alone for a method whose
 * loss is at ℓ, else ℓ to the output), forward and back.
 * @param plan the study's plan (its models' multiply-adds per layer)
 * @param job one of its jobs
 * @returns multiply-adds of training and of evaluation (per image)
 */
export function jobWork(plan: StudyPlan, job: StudyJob): JobWork {
  const model = plan.models.find((m) => m.name === job.model);
  if (!model) throw new Error(`editlab study: job ${job.id} is for ${job.model}, which the plan does not have.`);
  const perLayer = model.multiply_adds;
  const fromLayer = job.layer === ALL_LAYERS ? Object.keys(perLayer)[0] : job.layer;
  const suffix = multiplyAddsFrom(perLayer, fromLayer);
  const evaluate = suffix * plan.spec.alphas.filter((a) => a !== 0).length;
  if (job.reuses) return { train: 0, evaluate };
  const atLayer = getEditMethod(job.method.name).lossAt === 'layer';
  const span = atLayer ? perLayer[job.layer] : suffix;
  return { train: TRAINING_PASSES * job.method.steps * Math.min(STEP_BATCH, job.task.exemplars) * span, evaluate };
}

/** Work and seconds of finished jobs. */
interface Spent {
  train: number;
  evaluate: number;
  trainSeconds: number;
  evaluateSeconds: number;
}

/** Seconds per multiply-add of training and of evaluation, where `spent` has seen that kind of work. */
function rates(spent: Spent): { train?: number; evaluate?: number } {
  return {
    train: spent.train > 0 ? spent.trainSeconds / spent.train : undefined,
    evaluate: spent.evaluate > 0 ? spent.evaluateSeconds / spent.evaluate : undefined,
  };
}

/**
 * The time a study run has left, from the work of its jobs. After each finished job, seconds per
 * multiply-add of training and of evaluation are that model's totals so far over its jobs'
 * estimated work (a kind of work not seen yet is priced at the other kind's rate). A job of a
 * model with none finished yet is priced at the mean job of the models seen: seconds per
 * multiply-add differ between architectures (on the default study here a ViT's took 3× a CNN's
 * to evaluate and 6× to train), so another model's rates would mislead more. The work left (the
 * jobs not finished, less what the running ones have run) is scaled by the run's elapsed time
 * over the work done (the finished jobs' seconds and the running ones' so far), so parallel
 * workers and time between jobs carry over.
 * @example const eta = new StudyEta(plan, pending); … eta.finished(job, rows.seconds, rows.edit.seconds); eta.remaining(elapsedS)
 */
export class StudyEta {
  private readonly pending = new Map<string, { model: string; work: JobWork }>();
  /** Every job of the run by model, done or not: a seen model's mean job prices an unseen model's. */
  private readonly modelJobs = new Map<string, JobWork[]>();
  private readonly byModel = new Map<string, Spent>();
  /** Start times (ms, `now`) of the jobs running. */
  private readonly running = new Map<string, number>();
  private seconds = 0;
  private readonly now: () => number;

  /**
   * @param plan the study's plan
   * @param jobs the jobs this run will run
   * @param now clock in ms (default `performance.now`)
   */
  constructor(plan: StudyPlan, jobs: StudyJob[], now: () => number = () => performance.now()) {
    this.now = now;
    for (const job of jobs) {
      const work = jobWork(plan, job);
      this.pending.set(job.id, { model: job.model, work });
      if (!this.modelJobs.has(job.model)) this.modelJobs.set(job.model, []);
      this.modelJobs.get(job.model)!.push(work);
    }
  }

  /** Records that a job started: its time so far counts as work done, and its price as work left less that time. */
  started(job: StudyJob): void {
    if (this.pending.has(job.id)) this.running.set(job.id, this.now());
  }

  /**
   * Records a finished job.
   * @param job the job
   * @param seconds its whole time
   * @param trainSeconds of it, training its edit (a reusing job's time all counts as evaluation)
   */
  finished(job: StudyJob, seconds: number, trainSeconds: number): void {
    const entry = this.pending.get(job.id);
    if (!entry) return;
    this.pending.delete(job.id);
    this.running.delete(job.id);
    const { work } = entry;
    const training = work.train > 0 ? Math.min(seconds, trainSeconds) : 0;
    const spent = this.byModel.get(job.model) ?? { train: 0, evaluate: 0, trainSeconds: 0, evaluateSeconds: 0 };
    spent.train += work.train;
    spent.evaluate += work.evaluate;
    spent.trainSeconds += training;
    spent.evaluateSeconds += seconds - training;
    this.byModel.set(job.model, spent);
    this.seconds += seconds;
  }

  /**
   * Seconds left.
   * @param elapsed seconds since the run started
   * @returns the estimate; undefined before a job has finished
   */
  remaining(elapsed: number): number | undefined {
    if (this.seconds <= 0) return undefined;
    const now = this.now();
    // Each model seen at its own rates (a kind of work it has not done yet at its other kind's).
    const priceOf = new Map<string, (w: JobWork) => number>();
    for (const [model, spent] of this.byModel) {
      const own = rates(spent);
      const evaluate = own.evaluate ?? own.train;
      if (evaluate === undefined) continue; // its jobs had no work to learn a rate from
      const train = own.train ?? evaluate;
      priceOf.set(model, (w) => w.train * train + w.evaluate * evaluate);
    }
    // An unseen model's job: the mean job of the models seen, each priced whole (its first jobs
    // are not its typical ones: a plan starts each model at its earliest, costliest layer).
    const meanJobs = [...priceOf].map(([model, price]) => {
      const jobs = this.modelJobs.get(model)!;
      return jobs.reduce((sum, w) => sum + price(w), 0) / jobs.length;
    });
    const meanJob = meanJobs.reduce((a, b) => a + b, 0) / meanJobs.length;
    // Running jobs: the time they have run is work done, and comes off what they have left.
    let left = 0, running = 0;
    for (const [id, { model, work }] of this.pending) {
      const price = priceOf.get(model)?.(work) ?? meanJob;
      const ran = this.running.has(id) ? (now - this.running.get(id)!) / 1000 : 0;
      running += ran;
      left += Math.max(0, price - ran);
    }
    return (elapsed * left) / (this.seconds + running);
  }
}
