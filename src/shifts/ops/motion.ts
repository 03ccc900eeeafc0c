/**
 * Motion blur kernels (ImageMagick's MotionBlurImage as re-implemented by imagecorruptions):
 * width = 2·radius + 1 taps along a ray at `angle` degrees, weights exp(−i²/2σ²) for
 * i = 0 … width − 1 (normalised), tap i reading the image shifted by
 * (ceil(i·sin θ − ½), ceil(i·cos θ − ½)) pixels; taps that would move the whole image out of
 * frame are dropped; borders repeat the edge pixel.
 */
import type { Tap } from './filter';

/** The taps (for `filter2d` with 'nearest' borders) of a motion blur on a height × width image. */
export function motionBlurTaps(radius: number, sigma: number, angleDegrees: number, height: number, width: number): Tap[] {
  const taps: Tap[] = [];
  const count = 2 * Math.round(radius) + 1;
  const theta = (angleDegrees * Math.PI) / 180;
  const sin = Math.sin(theta);
  const cos = Math.cos(theta);
  let sum = 0;
  const weights: number[] = [];
  for (let i = 0; i < count; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    weights.push(w);
    sum += w;
  }
  for (let i = 0; i < count; i++) {
    const dy = Math.ceil(i * sin - 0.5);
    const dx = Math.ceil(i * cos - 0.5);
    if (Math.abs(dy) >= height || Math.abs(dx) >= width) break;
    taps.push({ dy, dx, w: weights[i] / sum });
  }
  return taps;
}
