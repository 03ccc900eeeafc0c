/**
 * `editlab explore`: an edit along α in the browser (the one served, or one the user picks and the
 * page runs). Node prepares the files (site.ts) and serves them (server.ts); the page (page/) runs
 * the same edit, interpolation and metric code.
 * `--study` adds the study's figures 1–4 (study-site.ts, highlight.ts, page/study.ts).
 */
export { buildExplorerSite, exportExplorerSite, pageFolder, type ExplorerSite, type ExplorerSiteOptions, type SiteFile, type SiteFiles } from './site';
export { buildStudySite, checkStudyFolder, combineSites, type StudySite, type StudySiteOptions } from './study-site';
export { withHighlight, legendSignal, HIGHLIGHT, HIGHLIGHT_STORE, FADED_OPACITY } from './highlight';
export { startExplorerServer, sitePath, type ExplorerServer } from './server';
export { explorerSets, familySet, shiftFamilies, packSets, type ExplorerSetOptions } from './sets';
export { AlphaEvaluator, cutBeforeEdit, linearEditedLayer, mergeParts, NOT_PREDICTED, type AlphaEvaluatorOptions, type EvaluatorPart } from './alpha-evaluator';
export { SITE_PATHS, unpackSets, type ExploreManifest, type SetEntry, type SetGroup, type NamedSet, type PickManifest, type PickMethod, type PickTask, type StudyManifest, type StudyFigure } from './format';
