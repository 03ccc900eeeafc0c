/**
 * `editlab explore --study DIR`: the study's figures 1–4 as an interactive page. The specs are
 * the ones `editlab reproduce` saves (`studyFigures`), computed once here in Node and served as
 * JSON with the highlight selection added (highlight.ts); the page (page/study.ts) embeds them
 * with vega-embed. The folder is checked before anything is computed or served.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStudySpec, readStudyStatus, STUDY_DATABASE, STUDY_SPEC_FILE, type StudyStatus } from '../study';
import { studyFigures } from '../reproduce/study';
import { withHighlight } from './highlight';
import { pageFolder, type ExplorerSite, type SiteFile, type SiteFiles } from './site';
import { SITE_PATHS, type StudyFigure, type StudyManifest } from './format';

/** Options of {@link buildStudySite}. */
export interface StudySiteOptions {
  /** The study folder (study.json and study.duckdb, as `editlab study run DIR` writes). */
  study: string;
  /** Bootstrap resamples of the penalties' intervals (default 200: quick; `reproduce` uses 1000). */
  samples?: number;
  /** Whether the edit explorer is served too (the study page links to it, at index.html). */
  explorer?: boolean;
}

/** The study view's files and what it shows. */
export interface StudySite extends SiteFiles {
  manifest: StudyManifest;
}

/** The four figures in the paper's order, with their captions. */
const FIGURES: ReadonlyArray<{ name: string; number: number; caption: string }> = [
  { name: 'accuracy-vs-alpha', number: 1, caption: 'Accuracy along α: each layer of the layer-wise method, per split (global fine-tuning at α = 1 as reference lines).' },
  { name: 'penalty-by-method-layer', number: 2, caption: 'OOD penalty at α = 1 by method and layer, per shift family, with paired bootstrap intervals.' },
  { name: 'accuracy-on-the-line', number: 3, caption: 'Accuracy on the line: the reference cloud, its line, and each method × layer along α (probit axes).' },
  { name: 'trade-off', number: 4, caption: 'The trade-off along α: edit-task accuracy against the original task\'s OOD accuracy.' },
];

const HOW_TO_RUN = (dir: string) => `run it with \`editlab study run ${dir}\` (or \`editlab reproduce --quick --out OUT\` and pass OUT/study)`;

/**
 * Refuses a folder that is not a study with results: missing, without study.json, without
 * study.duckdb, or with no finished job. Cheap: reads the spec and the database's counts.
 */
export async function checkStudyFolder(dir: string): Promise<StudyStatus> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`editlab explore: --study ${dir} does not exist; make a study with \`editlab study init DIR\` and ${HOW_TO_RUN('DIR')}.`);
  if (!fs.existsSync(path.join(root, STUDY_SPEC_FILE))) throw new Error(`editlab explore: --study ${dir} is not a study folder (no ${STUDY_SPEC_FILE}); pass a folder made by \`editlab study init DIR\` and ${HOW_TO_RUN('DIR')}.`);
  readStudySpec(root); // a broken spec says which field
  if (!fs.existsSync(path.join(root, STUDY_DATABASE))) throw new Error(`editlab explore: --study ${dir} has no results yet (no ${STUDY_DATABASE}); ${HOW_TO_RUN(dir)}.`);
  const status = await readStudyStatus(root);
  if (!status || status.jobs_done === 0) throw new Error(`editlab explore: --study ${dir} has no finished jobs yet (0 of ${status?.jobs_total ?? 0} done); ${HOW_TO_RUN(dir)}.`);
  return status;
}

/** Checks the study and computes its figures (once), ready to serve or export. */
export async function buildStudySite(options: StudySiteOptions): Promise<StudySite> {
  const status = await checkStudyFolder(options.study);
  const pageDir = pageFolder();
  if (!fs.existsSync(path.join(pageDir, SITE_PATHS.studyScript))) throw new Error(`editlab explore: the study page is not built (${path.join(pageDir, SITE_PATHS.studyScript)} is missing); run \`npm run build\`.`);
  const dir = path.resolve(options.study);
  const samples = options.samples ?? 200;
  const specs = await studyFigures(dir, { samples });
  const figures: StudyFigure[] = FIGURES.filter((f) => specs[f.name]).map((f) => {
    const { spec, field } = withHighlight(specs[f.name]);
    return { ...f, field: field ?? null, spec };
  });
  const spec = readStudySpec(dir);
  const manifest: StudyManifest = {
    format: 'editlab-explore-study', version: 1, study: options.study,
    models: spec.models, tasks: spec.tasks.map((t) => t.name), methods: spec.methods.map((m) => m.name), alphas: spec.alphas,
    jobs: { done: status.jobs_done, total: status.jobs_total }, cells: status.cells_done, samples,
    explorer: options.explorer ? SITE_PATHS.page : null, figures,
  };
  const files = new Map<string, SiteFile>();
  for (const name of fs.readdirSync(pageDir).filter((n) => n.startsWith('study') || n === SITE_PATHS.style)) files.set(name, { file: path.join(pageDir, name) });
  if (!options.explorer) files.set(SITE_PATHS.page, { file: path.join(pageDir, SITE_PATHS.studyPage) });
  files.set(SITE_PATHS.study, { bytes: Buffer.from(JSON.stringify(manifest)) });
  return { files, manifest };
}

/**
 * One site of the edit explorer, the study view, or both (the explorer at index.html linking to
 * study.html, and back).
 */
export function combineSites(edit: ExplorerSite | undefined, study: StudySite | undefined): SiteFiles {
  if (!edit && !study) throw new Error('editlab explore: nothing to serve (pass --edit DIR, --study DIR or both).');
  const files = new Map<string, SiteFile>(edit?.files ?? []);
  if (study) {
    for (const [name, source] of study.files) if (!(edit && name === SITE_PATHS.page)) files.set(name, source);
  }
  if (edit && study) files.set(SITE_PATHS.manifest, { bytes: Buffer.from(JSON.stringify({ ...edit.manifest, study: SITE_PATHS.studyPage })) });
  return { files };
}
