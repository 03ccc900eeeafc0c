/** Entry point of a local study worker process (forked by `LocalWorkers`; see executors.ts). */
import { serveWorker } from './executors';

serveWorker();
