export * from './registry';
export { GAUSSIAN_NOISE_SIGMA } from './gaussian-noise';
