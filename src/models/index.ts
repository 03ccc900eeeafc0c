/** Models: the architecture registry, training, prediction, file IO and layer surgery. */
import './archs';
export * from './registry';
export { VGG_CONFIGS, vgg, type VggConfig } from './archs/vgg';
export { RESNET_CONFIGS, resnet, type ResNetConfig } from './archs/resnet';
export { train, type TrainOptions } from './train';
export { predict, type Predictions } from '../engine/predict';
export { cloneModel, countParams } from './clone';
export { fileSystem, loadLayersModel, saveLayersModel, readModelArtifacts, assertFiniteWeights } from './io';
export { VIT_CONFIGS, vit, type VitConfig } from './archs/vit';
export { MLP_CONFIGS, mlp, type MlpConfig } from './archs/mlp';
export { recalibrateBatchNorm, type RecalibrateOptions } from './batch-norm';
export { trainToFolder, trainRunJson, scheduledRate, type TrainRunOptions, type TrainRunResult, type LearningRateSchedule } from './trainer';
export { listEmbeddedModels, resolveModel, embeddedModelsRoot, type EmbeddedModel, type ResolvedModel } from './embedded';
export {
  editableLayers, findLayer, getLayerWeights, setLayerWeights, activations, splitAt, frozenPrefix, kernelShape, validCutPoints, blockTail, downstreamLayers, depthLayers, resolveLayer, LAYER_DEPTHS, linearFirstLayer,
  type EditableLayer, type SplitModel, type LayerDepth,
} from './surgery';
export { readSafetensors, writeSafetensors, loadVitCheckpoint, detectLayout, type SafeTensor, type CheckpointLayout, type VitCheckpoint, type VitCheckpointOptions } from './safetensors';
export { layerMultiplyAdds, multiplyAddsFrom } from './cost';
