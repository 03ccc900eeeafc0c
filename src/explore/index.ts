/**
 * `editlab explore`: an edit along α in the browser. Node prepares the files (site.ts) and
 * serves them (server.ts); the page (page/) runs the same edit, interpolation and metric code.
 */
export { buildExplorerSite, exportExplorerSite, pageFolder, type ExplorerSite, type ExplorerSiteOptions, type SiteFile } from './site';
export { startExplorerServer, sitePath, type ExplorerServer } from './server';
export { explorerSets, familySet, shiftFamilies, packSets, type ExplorerSetOptions } from './sets';
export { AlphaEvaluator, cutBeforeEdit, type AlphaEvaluatorOptions } from './alpha-evaluator';
export { SITE_PATHS, unpackSets, type ExploreManifest, type SetEntry, type SetGroup, type NamedSet } from './format';
