/**
 * The reference cloud: standard models trained on the embedded data and evaluated under every
 * shift, stored as a committed table, the baseline of effective robustness and the OOD penalty.
 * @module
 */
export { CLOUD_MEMBERS, memberName, type CloudMember } from './members';
export { loadCloud, parseCloudCsv, defaultCloudCsv, accuracyPairs, selects, CLOUD_COLUMNS, type CloudRow, type CellSelection, type AccuracyPair } from './table';
export { buildCloud, cloudCells, cloudSettings, type CloudCellOptions, type CloudBuildOptions, type CloudBuildResult, type CloudEvent, type CloudSettings } from './build';
export { oodPenalties, type OodPenaltyOptions, type PenaltyRow } from './penalty';
export { robustnessSummary, summarizeRobustness, type RobustnessSummary, type RobustnessSummaryRow, type RobustnessSummaryOptions, type ScoredCell, type SummarizeOptions } from './robustness-summary';
export { cloudHardSubset, rowsForLines, hardSubsetImages, hardSubsetPath, readHardSubsetFile, sameEnsemble, DEFAULT_HARD_ENSEMBLE, type HardSubsetFile } from './hard-subset';
export { shiftPenalties, shiftPenaltyIntervals, type ModelCell, type PairedSetCorrectness, type PenaltyScope, type ShiftPenaltyRow, type ShiftPenaltyOptions, type ShiftPenaltyIntervalOptions } from './shift-penalty';
