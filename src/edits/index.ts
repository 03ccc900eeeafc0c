export * from './edit';
export * from './registry';
export * from './tasks';
export { rewriteDirections, rewriteSolve, secondMoment, layerInputMoment, areaAverageMasks, REWRITE_REFERENCE_IMAGES, type DirectionsInput, type SolveInput, type Moment } from './rewrite';
export { ONE_LAYER_ALPHAS, interpolateOneLayer, oneLayerSplit } from './one-layer-interp';
export { symmetricEigen, singularValues, numericalRank } from './linalg';
import './local-ft';
import './global-ft';
import './lowrank';
import './one-layer-interp';
export { saveEdit, editFiles, loadEdit, isEditFolder, readEditRecord, type EditRecord } from './store';
export {
  editMetrics, errorsCorrected, errorsCorrectedFrom, evaluateEdit, editWarnings, ALREADY_RIGHT, editMetricSplits, protocolSets, EDIT_METRIC_SPLITS,
  type EditMetrics, type EditMetricSets, type EditEvaluation, type EditProtocol,
} from './metrics';
export { loadEditManifest, type ManifestOptions } from './manifest';
export { editGalleryRows, type EditGalleryRow } from './gallery';
