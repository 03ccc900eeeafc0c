/**
 * Plasma fractal (diamond-square) height maps, as ImageNet-C's fog uses: a square, toroidal
 * map of side `mapsize` (a power of two) with values in [0, 1]. Each level sets the square
 * centres to the mean of their 4 corners and the diamond points to the mean of their 4
 * neighbours (wrapping around), each plus wibble·U(−wibble, wibble); wibble starts at 100 and
 * is divided by `wibbleDecay` per level (a larger decay gives a smoother map). Random numbers
 * are drawn level by level, squares then horizontal-edge then vertical-edge points, row-major.
 */
export function plasmaFractal(mapsize: number, wibbleDecay: number, uniform: () => number): Float64Array {
  if (mapsize < 1 || (mapsize & (mapsize - 1)) !== 0) throw new Error(`plasmaFractal: mapsize must be a power of two, got ${mapsize}.`);
  const n = mapsize;
  const a = new Float64Array(n * n);
  let step = n;
  let wibble = 100;
  const noise = () => wibble * (-wibble + 2 * wibble * uniform());
  while (step >= 2) {
    const half = step >> 1;
    const m = n / step;
    // Squares: centre = mean of the 4 corners.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const r0 = i * step, r1 = ((i + 1) % m) * step;
        const c0 = j * step, c1 = ((j + 1) % m) * step;
        const sum = a[r0 * n + c0] + a[r1 * n + c0] + a[r0 * n + c1] + a[r1 * n + c1];
        a[(r0 + half) * n + c0 + half] = sum / 4 + noise();
      }
    }
    // Diamonds on the corner rows: (i·step, j·step + half).
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const below = (i * step + half) * n + j * step + half;
        const above = (((i - 1 + m) % m) * step + half) * n + j * step + half;
        const left = i * step * n + j * step;
        const right = i * step * n + ((j + 1) % m) * step;
        a[i * step * n + j * step + half] = (a[below] + a[above] + a[left] + a[right]) / 4 + noise();
      }
    }
    // Diamonds on the corner columns: (i·step + half, j·step).
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const right = (i * step + half) * n + j * step + half;
        const left = (i * step + half) * n + ((j - 1 + m) % m) * step + half;
        const up = i * step * n + j * step;
        const down = ((i + 1) % m) * step * n + j * step;
        a[(i * step + half) * n + j * step] = (a[right] + a[left] + a[up] + a[down]) / 4 + noise();
      }
    }
    step = half;
    wibble /= wibbleDecay;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < min) min = a[i];
    if (a[i] > max) max = a[i];
  }
  const range = max - min || 1;
  for (let i = 0; i < a.length; i++) a[i] = (a[i] - min) / range;
  return a;
}

/** The smallest power of two ≥ n. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
