/**
 * Small dense linear algebra in float64 for the edit methods: symmetric eigendecomposition
 * (cyclic Jacobi), inverse square roots, Gram–Schmidt orthonormalisation and numerical rank.
 * Matrices are row-major Float64Arrays with explicit sizes.
 */

/** Eigenvalues (descending) and eigenvectors (columns of `vectors`, n × n) of a symmetric matrix. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p], mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k], mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => { for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]; });
  return { values, vectors };
}

/** S^(-1/2) of a symmetric positive semi-definite matrix, eigenvalues floored at `floor`·max. */
export function inverseSqrt(s: Float64Array, n: number, floor = 1e-6): Float64Array {
  const { values, vectors } = symmetricEigen(s, n);
  const minimum = Math.max(values[0] * floor, 1e-12);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const w = 1 / Math.sqrt(Math.max(values[k], minimum));
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * w;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k];
    }
  }
  return out;
}

/** C = A (m × k) · B (k × n). */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) {
      const ait = a[i * k + t];
      if (ait === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += ait * b[t * n + j];
    }
  }
  return c;
}

/** Aᵀ A for A of m × n (an n × n Gram matrix). */
export function gram(a: ArrayLike<number>, m: number, n: number, weights?: ArrayLike<number>): Float64Array {
  const g = new Float64Array(n * n);
  for (let r = 0; r < m; r++) {
    const w = weights ? weights[r] : 1;
    if (w === 0) continue;
    for (let i = 0; i < n; i++) {
      const ai = a[r * n + i] * w;
      if (ai === 0) continue;
      for (let j = i; j < n; j++) g[i * n + j] += ai * a[r * n + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return g;
}

/** Orthonormalises the columns of A (n × r) by modified Gram–Schmidt (a thin QR's Q). */
export function orthonormalColumns(a: Float64Array, n: number, r: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < r; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * r + p] * q[i * r + j];
      for (let i = 0; i < n; i++) q[i * r + j] -= dot * q[i * r + p];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * r + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error(`orthonormalColumns: column ${j} is linearly dependent on the previous ones.`);
    for (let i = 0; i < n; i++) q[i * r + j] /= norm;
  }
  return q;
}

/** Singular values of A (m × n), descending: square roots of the eigenvalues of AᵀA. */
export function singularValues(a: ArrayLike<number>, m: number, n: number): Float64Array {
  return symmetricEigen(gram(a, m, n), n).values.map((v) => Math.sqrt(Math.max(v, 0)));
}

/** Numerical rank: singular values above `tolerance` × the largest. */
export function numericalRank(a: ArrayLike<number>, m: number, n: number, tolerance = 1e-5): number {
  const s = singularValues(a, m, n);
  return s.filter((v) => v > tolerance * (s[0] || 1)).length;
}
