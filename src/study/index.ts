/**
 * The study engine: the whole grid (models × tasks × methods × layers × α × every evaluation
 * set) as a spec, run as content-addressed jobs into one DuckDB file, resumable after any kill.
 * The pipeline, file by file:
 *
 *   spec.ts     the study spec: fields, defaults (DEFAULT_STUDY_SPEC, QUICK_STUDY_SPEC), validation
 *   jobs.ts     the spec → jobs (one edit and its α sweep each), layers resolved, ids hashed
 *   sets.ts     each job's evaluation sets (clean, corruptions, renditions, hard, task splits)
 *   sweep.ts    per-example predictions along α (prefix once per image), correctness bitsets
 *   execute.ts  one job: train or reuse the edit, sweep it, score every cell
 *   work.ts     each job's work in multiply-adds; the run's ETA from it
 *   run.ts      runStudy: plan, skip what is done, run and commit the rest
 *   store.ts    the DuckDB database: tables, one transaction per job, status, SQL, export
 *   open.ts     openStudy: a study folder for notebooks (tables as Arquero, SQL)
 * @module study
 */
export {
  validateStudySpec, specDifferences, formatSpecDifferences, methodProtocol,
  DEFAULT_STUDY_SPEC, QUICK_STUDY_SPEC, METHOD_PROTOCOLS,
  type StudySpec, type StudySpecInput, type StudyMethod, type StudyTask, type StudySets, type ShiftImages, type SpecDifference, type MethodProtocolDefinition,
} from './spec';
export {
  planStudy, studyJobId, canonicalJson, weightsDigest, resolveStudyLayer, STUDY_CODE_VERSION, STUDY_FORMAT_VERSION, ALL_LAYERS, parseShard, shardJobs,
  type StudyJob, type StudyPlan, type PlannedModel, type StudyShard,
} from './jobs';
export { EvaluationSets, imageSetDigest, type StudySet, type StudySetFamily, type EvaluationSetsOptions } from './sets';
export { openAlphaPredictions, packCorrect, unpackCorrect, OriginalPredictions, SWEEP_BATCH_SIZE, type AlphaPredictions, type AlphaPredictionsOptions } from './sweep';
export { runStudyJob, type JobContext } from './execute';
export { jobWork, StudyEta, type JobWork } from './work';
export { runStudy, mergeStudies, readStudySpec, readStudySpecFile, writeStudySpec, STUDY_SPEC_FILE, type RunStudyOptions, type StudyRunResult, type StudyProgressEvent } from './run';
export {
  openStudyStore, commitStudyJob, loadStudyEdit, readStudyEdit, editFromStored, readStudyStatus, readStoredSpec, queryStudy, studyTableRows, exportStudyCells, studyDatabasePath, csvToParquet,
  STUDY_DATABASE, STUDY_TABLES, CELL_COLUMNS, CELLS_WITH_DEPTH,
  type StudyCell, type CellKey, type StudyStatus, type JobRows, type StudyExportFormat, type StoredEdit, type MergeResult,
} from './store';
export { openStudy, type Study } from './open';
export {
  studyComparisons, studyPenalties, studyCorruptionErrors, poolPenalties, penaltyExtremes, studyPaths, poolPaths, pooledLayers, DEFAULT_MCE_BASE, type PathPoint, type PooledPathPoint, type PooledLayers,
  type CellComparison, type StudyPenaltyRow, type StudyPenaltyOptions, type StudyCorruptionErrorRow, type PooledPenaltyRow, type EditedModelKey,
} from './stats';
export { startLocalRedis, hasRedisServer, type LocalRedis } from './local-redis';
export { serveQueue, connectRedis, STUDY_QUEUE, type QueueWorker, type QueueWorkerOptions } from './queue';
export { toWire, fromWire } from './wire';
