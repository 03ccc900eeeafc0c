import { mulberry32, normalSampler } from '../engine/rng';
import { registerShift, type ShiftPreset } from './registry';

/**
 * Noise standard deviation per severity. imagenet and cifar are ImageNet-C's and
 * CIFAR-10-C's constants; small (28×28 grayscale) starts from ImageNet's until the shifts
 * calibration gives it its own.
 */
export const GAUSSIAN_NOISE_SIGMA: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.08, 0.12, 0.18, 0.26, 0.38],
  cifar: [0.04, 0.06, 0.08, 0.09, 0.1],
  small: [0.08, 0.12, 0.18, 0.26, 0.38],
};

registerShift({
  name: 'gaussian_noise',
  family: 'corruption',
  description: 'additive Gaussian noise, clipped to [0, 1]',
  apply(images, _shape, { severity, seed, preset }) {
    const sigma = GAUSSIAN_NOISE_SIGMA[preset][severity - 1];
    const normal = normalSampler(mulberry32(seed));
    const out = new Float32Array(images.length);
    for (let i = 0; i < images.length; i++) out[i] = Math.min(1, Math.max(0, images[i] + sigma * normal()));
    return out;
  },
});
