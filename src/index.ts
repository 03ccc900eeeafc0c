/**
 * editlab: edit trained image classifiers and measure what the edit does to their robustness
 * under distribution shift. The pipeline, stage by stage:
 * data → shifts → models → edits → sweep → metrics → frames → figures → notebook.
 * @module
 */
export { version } from './version';
export { tf, useBackend, backendInfo, type BackendInfo, type BackendName, type BackendRequest } from './engine/backend';
export { mulberry32, normalSampler, permutation } from './engine/rng';
export { setUnfusedConvGradients } from './engine/gradients';
export { setWinogradConv, simdConvCalls } from './engine/wasm-kernels';
export * from './data';
export * from './shifts';
export * from './models';
export * from './edits';
export * from './sweep/interpolate';
export * from './metrics/accuracy';
export * from './metrics/effective-robustness';
export * from './metrics/paired';
export * from './metrics/corruption-error';
export * from './cloud';
export * from './frames';
export * from './figures';
export { shiftGallery, type ShiftGalleryOptions } from './figures/shift-gallery';
export { accuracyPerSeverity, type AccuracyPerSeverityOptions } from './figures/shift-accuracy';
export * from './notebook';
export { quickStudy, type QuickStudy, type QuickStudyOptions } from './reproduce/quick';
export { reproduceStudy, studyFigures, splitRows, SPLIT_LABELS, STUDY_FIGURES, type ReproduceOptions, type ReproduceResult, type StudyFiguresOptions, type StudyFigureTables, type SplitRow } from './reproduce/study';
export { judgeFindings, findingsMarkdown, spearman, CONSTRAINED_METHODS, type Finding, type Verdict } from './reproduce/findings';
export { benchStudy, formatStudyBench, memorySpec, type StudyBenchReport, type StudyBenchRun, type StudyBenchMemory, type StudyBenchOptions, type StudyBenchMode } from './bench/study';
export { bench, type BenchReport, type BenchOptions } from './bench/train-infer';
export { benchShifts, formatShiftBench, type ShiftBenchReport, type ShiftBenchRow, type ShiftBenchOptions } from './bench/shifts';
export {
  exportOnnx, exportOnnxSegments, exportOnnxSplit, registerOnnxConverter, onnxSupportedLayers, onnxSupportedActivations, GraphBuilder, checkOnnxParity,
  createOnnxSession, onnxRuntimeAvailable, ONNX_OPSET, setOnnxKernels, ONNX_KERNELS, setOnnxConvKernels, ONNX_CONV_KERNELS,
  type OnnxExport, type OnnxExportOptions, type OnnxOperators, type OnnxSegmentOptions, type OnnxSegments, type OnnxSplit, type OnnxTensorInfo, type OnnxWeightInput, type LayerConverter,
  type ConverterContext, type OnnxValue, type OnnxSessionOptions, type OnnxParity,
} from './engine/onnx';
export { holdConstant } from './engine/held-constants';
export * from './evaluate';
export * from './study';
export { benchOnnx, benchSweep, measureOnnxInference, type OnnxThroughput, type SweepBench, type SweepBenchOptions } from './bench/onnx';
