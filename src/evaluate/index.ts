/**
 * Evaluation: predictions and logits of a model (tfjs, exported to ONNX, or an ONNX file) on a
 * dataset, on ONNX Runtime or tfjs; and the α sweep on ONNX Runtime.
 * @module
 */
export {
  evaluate, evaluateWith, evaluateBatches, openEvaluator, argmax,
  type Evaluable, type EvaluateOptions, type EvaluatedBatch, type Evaluation, type EvaluationData, type EvaluationEngine, type Evaluator,
} from './evaluate';
export { evaluateCells, predictSets } from './shift-cells';
export { evaluateSplits } from './splits';
export { OnnxModel, type OnnxModelOptions, type ImageLayout } from './onnx-model';
export { sweepAlphaOnnx, type OnnxSweepOptions } from './sweep';
export { openOnnxAlphaGraphs, interpolateWeights, linearSweepLayer, LINEAR_MIN_MACS, type OnnxAlphaGraphs, type OnnxAlphaGraphsOptions, type OnnxFeeds } from './alpha-graphs';
