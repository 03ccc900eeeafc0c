/**
 * Distribution shifts: the ImageNet-C corruptions (15 + 4 held out, five severities, constants
 * per size regime), ImageNet-R style renditions, ImageNet-A style hard subsets, evaluation over
 * shifts, and the real shifted data sets on disk (ImageNet-C layout, ImageNet-R/-A class subsets).
 * Importing this module registers every shift.
 * @module shifts
 */
export * from './registry';
// Corruptions, in ImageNet-C's order (registration order is listing order).
export { GAUSSIAN_NOISE_SIGMA } from './gaussian-noise';
export { SHOT_NOISE_RATE } from './shot-noise';
export { IMPULSE_NOISE_AMOUNT } from './impulse-noise';
export { DEFOCUS_BLUR_CONSTANTS, diskKernel, type DefocusBlurConstants } from './defocus-blur';
export { GLASS_BLUR_CONSTANTS, type GlassBlurConstants } from './glass-blur';
export { MOTION_BLUR_CONSTANTS, type MotionBlurConstants } from './motion-blur';
export { ZOOM_BLUR_CONSTANTS, zoomBlurOperator, type ZoomBlurConstants } from './zoom-blur';
export { SNOW_CONSTANTS, type SnowConstants } from './snow';
export { FROST_CONSTANTS, frostTextureSide, type FrostConstants } from './frost';
export { FOG_CONSTANTS, type FogConstants } from './fog';
export { BRIGHTNESS_DELTA } from './brightness';
export { CONTRAST_FACTOR } from './contrast';
export { ELASTIC_CONSTANTS, type ElasticConstants } from './elastic-transform';
export { PIXELATE_FACTOR } from './pixelate';
export { JPEG_QUALITY, jpegRoundTrip } from './jpeg-compression';
export { SPECKLE_NOISE_SIGMA } from './speckle-noise';
export { GAUSSIAN_BLUR_SIGMA } from './gaussian-blur';
export { SPATTER_CONSTANTS, SPATTER_COLORS, type SpatterConstants } from './spatter';
export { SATURATE_CONSTANTS, saturateGray, type SaturateConstants } from './saturate';
export { frostTexture, frostTextureAt, FROST_TEXTURE_COUNT, FROST_TEXTURE_SIZE } from './ops/frost-texture';
export { plasmaFractal } from './ops/plasma';
export { imageRng, seedFromKey, mixSeed } from './ops/random';
// Renditions (ImageNet-R analog).
import './renditions/sketch';
import './renditions/silhouette';
import './renditions/inverted';
import './renditions/texture-fill';
import './renditions/thick-strokes';
import './renditions/cartoon';
export { foregroundMask, strokeRadius } from './renditions/common';
// Hard subsets, evaluation, galleries, real data sets on disk.
export { hardSubset, type Classifier, type HardSubset, type HardSubsetClass, type HardSubsetOptions } from './hard-subset';
export { evaluateShifts, shiftCells, shiftRow, shiftGroup, type EvaluateShiftsOptions, type ShiftAccuracyRow, type ShiftCell } from './evaluate';
export { galleryRows, renditionRows, type GalleryOptions, type GalleryRow } from './gallery';
export { IMAGENET_WNIDS, IMAGENET_R_WNIDS, IMAGENET_A_WNIDS } from './imagenet-classes';
export {
  subsetWnids, subsetIndices, maskLogits, subsetPredictions, openImageNetSubset, openImageNetC, imageNetCPath, listImageNetC,
  type ImageNetSubset,
} from './real-sets';
export { corruptFile, corruptFolder, type CorruptFilesOptions, type CorruptFolderReport } from './corrupt-files';
export { SMALL_PRESET_CALIBRATION } from './calibration';
