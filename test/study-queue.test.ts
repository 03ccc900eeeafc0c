// A study over a real Redis (Debian's redis-server, started here on a free loopback port in a
// temporary folder, stopped at the end): `study run --queue` as coordinator, two `editlab worker`
// processes, one killed with SIGKILL mid-job; the stored tables equal a single-process run's.
// An unreachable Redis is a clear error within 5 s, with nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../src/engine/backend';
import { runStudy, exportStudyCells, queryStudy, writeStudySpec, type StudySpecInput } from '../src/study';
import { freeLoopbackPort, hasRedisServer, startLocalRedis, type LocalRedis } from '../src/study/local-redis';

const SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 16 }],
  methods: [{ name: 'local-ft', steps: 3 }, { name: 'one-layer-interp', steps: 3 }, { name: 'lowrank', steps: 3 }, { name: 'rewrite', steps: 3 }],
  layers: ['middle'],
  alphas: [0, 0.5, 1],
  sets: { clean: true, corruptions: ['gaussian_noise'], severities: [3], task_splits: true },
  images: 48,
};
const CLI = path.join(__dirname, '..', 'bin', 'editlab.js');
/** redis-server on the PATH (the README's apt line installs it). */
const REDIS = hasRedisServer();

let work: string;
let redis: LocalRedis | undefined;
let url: string;
const children: ChildProcess[] = [];

/** Starts a CLI process, collecting its stderr; `lines` resolves when a line matches. */
function cli(args: string[]): { child: ChildProcess; stderr: () => string; waitFor: (pattern: RegExp) => Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  children.push(child);
  let text = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) if (w.pattern.test(text)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  child.stderr!.on('data', (d) => { text += d; check(); });
  child.stdout!.on('data', (d) => { text += d; check(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => text, waitFor: (pattern) => new Promise((resolve) => { waiters.push({ pattern, resolve }); check(); }), exit };
}

async function content(dir: string): Promise<unknown> {
  const csv = fs.readFileSync(await exportStudyCells(dir, { out: path.join(dir, 'export.csv') }), 'utf8');
  const weights = await queryStudy(dir, 'SELECT job_id, weight_index, md5(edited::VARCHAR) AS digest FROM edit_weights ORDER BY job_id, weight_index');
  const bits = await queryStudy(dir, 'SELECT job_id, alpha, set, severity, md5(bits::VARCHAR) AS digest FROM correctness ORDER BY job_id, alpha, set, severity');
  const jobs = await queryStudy(dir, 'SELECT job_id, state FROM jobs ORDER BY position');
  return { csv, weights, bits, jobs };
}

before(async () => {
  await useBackend('wasm');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-queue-'));
  if (!REDIS) return;
  redis = await startLocalRedis();
  url = redis.url;
});

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  redis?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('an unreachable Redis is a clear error within 5 s, and nothing is written', async () => {
  const dir = path.join(work, 'unreachable');
  const port = await freeLoopbackPort();
  const started = Date.now();
  await assert.rejects(runStudy(SPEC, { dir, queue: `redis://127.0.0.1:${port}` }), /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: .*(ECONNREFUSED|no answer)/);
  assert.ok(Date.now() - started < 5500, `failed after ${Date.now() - started} ms`);
  assert.ok(!fs.existsSync(dir), 'no study folder');
  const bad = spawnSync(process.execPath, [CLI, 'worker', '--queue', 'http://localhost:1'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--queue must be a Redis URL, redis:\/\/HOST:PORT, got "http:\/\/localhost:1"/);
});

test('two queue workers, one killed mid-job: the tables equal a single-process run', async () => {
  assert.ok(REDIS, 'this test needs redis-server on the PATH: sudo apt-get install redis-server (see the README)');
  const single = path.join(work, 'single');
  await runStudy(SPEC, { dir: single });
  const dir = path.join(work, 'queued');
  writeStudySpec(dir, SPEC);
  const doomed = cli(['worker', '--queue', url]);
  await doomed.waitFor(/taking study jobs/);
  const coordinator = cli(['study', 'run', dir, '--queue', url, '--json']);
  // The doomed worker takes the first job; kill it while that job runs.
  await doomed.waitFor(/^started /m);
  await new Promise((r) => setTimeout(r, 300));
  doomed.child.kill('SIGKILL');
  const survivor = cli(['worker', '--queue', url]);
  const code = await coordinator.exit;
  assert.equal(code, 0, coordinator.stderr());
  const summary = JSON.parse(coordinator.stderr().slice(coordinator.stderr().indexOf('{\n')));
  assert.equal(summary.jobs_done, 4);
  assert.match(survivor.stderr(), /finished /, 'the survivor ran jobs, the killed one\'s included');
  assert.doesNotMatch(doomed.stderr(), /finished /, 'the killed worker finished nothing');
  assert.deepEqual(await content(dir), await content(single));
  survivor.child.kill('SIGTERM');
  assert.equal(await survivor.exit, 0, 'a worker stops cleanly on SIGTERM');
});
