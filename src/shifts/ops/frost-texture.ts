/**
 * Procedural frost textures, so no photographs ship with editlab. ImageNet-C blends crops of
 * six photos of frosted glass; we generate five seeded RGB textures instead (ImageNet-C itself
 * draws from the first five): a soft plasma-fractal haze, branching ice "ferns" (random walks
 * that sprout side branches at about ±60°, drawn with bilinear splats) and a fine grain, blurred
 * slightly and tinted icy blue-white. The textures depend only on their index and are cached.
 */
import { mulberry32 } from '../../engine/rng';
import { resizeImage } from '../../data/image-io';
import { gaussianBlur } from './filter';
import { plasmaFractal } from './plasma';
import { normalSampler } from './random';

/** Number of distinct frost textures. */
export const FROST_TEXTURE_COUNT = 5;
/** Side of a generated texture in pixels. */
export const FROST_TEXTURE_SIZE = 384;
/** Seed of texture k is FROST_TEXTURE_SEED + k. */
export const FROST_TEXTURE_SEED = 0xf7057;

const base = new Map<number, Float32Array>();
const scaled = new Map<string, Float32Array>();

function generate(index: number): Float32Array {
  const S = FROST_TEXTURE_SIZE;
  const rand = mulberry32(FROST_TEXTURE_SEED + index);
  const normal = normalSampler(rand);
  const haze = plasmaFractal(512, 2.2, rand);
  const ice = new Float64Array(S * S);
  const splat = (x: number, y: number, v: number) => {
    // Toroidal bilinear deposit.
    const x0 = Math.floor(x), y0 = Math.floor(y);
    const fx = x - x0, fy = y - y0;
    const xa = ((x0 % S) + S) % S, xb = (xa + 1) % S;
    const ya = ((y0 % S) + S) % S, yb = (ya + 1) % S;
    ice[ya * S + xa] += v * (1 - fx) * (1 - fy);
    ice[ya * S + xb] += v * fx * (1 - fy);
    ice[yb * S + xa] += v * (1 - fx) * fy;
    ice[yb * S + xb] += v * fx * fy;
  };
  const ferns = 70 + Math.floor(rand() * 30);
  for (let f = 0; f < ferns; f++) {
    const stack: Array<{ x: number; y: number; angle: number; length: number; depth: number; intensity: number }> = [
      { x: rand() * S, y: rand() * S, angle: rand() * 2 * Math.PI, length: 20 + 70 * rand(), depth: 0, intensity: 0.35 + 0.45 * rand() },
    ];
    while (stack.length) {
      const b = stack.pop()!;
      let { x, y, angle } = b;
      const step = 0.6;
      let nextBranch = 2 + 4 * rand();
      for (let t = 0; t < b.length; t += step) {
        splat(x, y, b.intensity);
        x += step * Math.cos(angle);
        y += step * Math.sin(angle);
        angle += 0.04 * normal();
        if (b.depth < 2 && t >= nextBranch) {
          const side = rand() < 0.5 ? -1 : 1;
          stack.push({ x, y, angle: angle + side * (Math.PI / 3 + 0.2 * normal()), length: (b.length - t) * (0.35 + 0.25 * rand()), depth: b.depth + 1, intensity: b.intensity * 0.8 });
          nextBranch = t + 2 + 5 * rand();
        }
      }
    }
  }
  const grain = new Float64Array(S * S);
  for (let i = 0; i < grain.length; i++) grain[i] = rand();
  const grainSoft = gaussianBlur(grain, S, S, 1, 0.8);
  const t = new Float64Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const p = y * S + x;
      const h = haze[y * 512 + x];
      t[p] = 0.45 * h * Math.sqrt(h) + Math.min(1.2, ice[p]) + 0.5 * (grainSoft[p] - 0.5);
    }
  }
  const soft = gaussianBlur(t, S, S, 1, 0.6);
  const sorted = Float32Array.from(soft).sort();
  const hi = sorted[Math.floor(0.995 * (sorted.length - 1))] || 1;
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))];
  const rgb = new Float32Array(S * S * 3);
  for (let p = 0; p < S * S; p++) {
    const v = Math.min(1, Math.max(0, (soft[p] - lo) / (hi - lo)));
    rgb[3 * p] = Math.min(1, 0.84 * v + 0.03);
    rgb[3 * p + 1] = Math.min(1, 0.92 * v + 0.05);
    rgb[3 * p + 2] = Math.min(1, 0.98 * v + 0.1);
  }
  return rgb;
}

/** Frost texture `index` (0 … 4): FROST_TEXTURE_SIZE² RGB values in [0, 1], channels last. */
export function frostTexture(index: number): Float32Array {
  if (!(Number.isInteger(index) && index >= 0 && index < FROST_TEXTURE_COUNT)) {
    throw new Error(`frostTexture: index must be 0 … ${FROST_TEXTURE_COUNT - 1}, got ${index}.`);
  }
  let t = base.get(index);
  if (!t) base.set(index, (t = generate(index)));
  return t;
}

/**
 * Frost texture `index` resized (bilinear, antialiased) to side × side with `channels` channels
 * (grayscale: its luma), cached.
 */
export function frostTextureAt(index: number, side: number, channels: number): Float32Array {
  const key = `${index}:${side}:${channels}`;
  let t = scaled.get(key);
  if (t) return t;
  const S = FROST_TEXTURE_SIZE;
  const rgb = side === S ? frostTexture(index) : resizeImage(frostTexture(index), S, S, 3, side, side, 'bilinear');
  if (channels === 3) t = rgb;
  else {
    t = new Float32Array(side * side);
    for (let p = 0; p < side * side; p++) t[p] = 0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2];
  }
  scaled.set(key, t);
  return t;
}
