// SIMD kernels for the tfjs WebAssembly backend, written in AssemblyScript.
//
// This module imports the tfjs wasm backend's own linear memory (env.memory), so every
// pointer below is a byte offset of a tensor that already lives on the tfjs heap: no
// copies in or out. It must therefore own no memory itself: no static data, no
// allocation, no shadow stack (the loader checks that the binary has no data section).
//
// Layouts are tfjs's: activations NHWC, conv filters HWIO, depthwise filters HWCM.
// All inner loops vectorise over the channel axis that is contiguous in memory.

// ---------------------------------------------------------------------------------
// helpers

@inline function zero(ptr: usize, count: i32): void {
  memory.fill(ptr, 0, <usize>count << 2);
}

/** First output index o with o*stride + offset >= 0. */
@inline function firstValid(offset: i32, stride: i32): i32 {
  return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
}

/** One past the last output index o with o*stride + offset < size, clipped to outSize. */
@inline function endValid(offset: i32, stride: i32, size: i32, outSize: i32): i32 {
  const last = size - 1 - offset;
  if (last < 0) return 0;
  const end = last / stride + 1;
  return end < outSize ? end : outSize;
}

// ---------------------------------------------------------------------------------
// Conv2DBackpropFilter: dw[kh,kw,ci,co] = sum_{b,oh,ow} x[b,ih,iw,ci] * dy[b,oh,ow,co]
// with ih = oh*sh - pt + kh*dh, iw = ow*sw - pl + kw*dwl.
// Register tile: 4 input channels x 8 output channels, accumulated along an output row.

export function conv2dBackpropFilter(
  x: usize, dy: usize, dw: usize,
  batch: i32, inH: i32, inW: i32, inC: i32,
  outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32,
): void {
  zero(dw, kH * kW * inC * outC);
  const coStep = <usize>outC << 2;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const dyRow = dy + (<usize>((b * outH + oh) * outW * outC) << 2);
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - padTop + kh * dH;
        if (ih < 0 || ih >= inH) continue;
        const xRow = x + (<usize>((b * inH + ih) * inW * inC) << 2);
        for (let kw = 0; kw < kW; kw++) {
          const off = kw * dW - padLeft;
          const ow0 = firstValid(off, sW);
          const ow1 = endValid(off, sW, inW, outW);
          if (ow0 >= ow1) continue;
          const wBase = dw + (<usize>((kh * kW + kw) * inC * outC) << 2);
          const xStep = <usize>(sW * inC) << 2;
          const xStart = xRow + (<usize>((ow0 * sW + off) * inC) << 2);
          const dyStart = dyRow + (<usize>(ow0 * outC) << 2);
          const n = ow1 - ow0;
          let ci = 0;
          for (; ci + 4 <= inC; ci += 4) {
            const xp = xStart + (<usize>ci << 2);
            const wRow = wBase + (<usize>(ci * outC) << 2);
            let co = 0;
            for (; co + 8 <= outC; co += 8) {
              filterTile4x8(xp, dyStart + (<usize>co << 2), wRow + (<usize>co << 2), n, xStep, coStep, coStep);
            }
            for (; co < outC; co++) {
              for (let j = 0; j < 4; j++) {
                filterScalar(xp + (<usize>j << 2), dyStart + (<usize>co << 2), wRow + (<usize>(j * outC + co) << 2), n, xStep, coStep);
              }
            }
          }
          for (; ci < inC; ci++) {
            const xp = xStart + (<usize>ci << 2);
            const wRow = wBase + (<usize>(ci * outC) << 2);
            let co = 0;
            for (; co + 8 <= outC; co += 8) {
              filterTile1x8(xp, dyStart + (<usize>co << 2), wRow + (<usize>co << 2), n, xStep, coStep);
            }
            for (; co < outC; co++) {
              filterScalar(xp, dyStart + (<usize>co << 2), wRow + (<usize>co << 2), n, xStep, coStep);
            }
          }
        }
      }
    }
  }
}

@inline function filterTile4x8(xp: usize, dp: usize, wp: usize, n: i32, xStep: usize, dyStep: usize, wRowStep: usize): void {
  let a00 = v128.load(wp), a01 = v128.load(wp, 16);
  let a10 = v128.load(wp + wRowStep), a11 = v128.load(wp + wRowStep, 16);
  let a20 = v128.load(wp + 2 * wRowStep), a21 = v128.load(wp + 2 * wRowStep, 16);
  let a30 = v128.load(wp + 3 * wRowStep), a31 = v128.load(wp + 3 * wRowStep, 16);
  for (let i = 0; i < n; i++) {
    const d0 = v128.load(dp), d1 = v128.load(dp, 16);
    const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp, 4);
    const x2 = v128.load32_splat(xp, 8), x3 = v128.load32_splat(xp, 12);
    a00 = f32x4.add(a00, f32x4.mul(x0, d0)); a01 = f32x4.add(a01, f32x4.mul(x0, d1));
    a10 = f32x4.add(a10, f32x4.mul(x1, d0)); a11 = f32x4.add(a11, f32x4.mul(x1, d1));
    a20 = f32x4.add(a20, f32x4.mul(x2, d0)); a21 = f32x4.add(a21, f32x4.mul(x2, d1));
    a30 = f32x4.add(a30, f32x4.mul(x3, d0)); a31 = f32x4.add(a31, f32x4.mul(x3, d1));
    xp += xStep; dp += dyStep;
  }
  v128.store(wp, a00); v128.store(wp, a01, 16);
  v128.store(wp + wRowStep, a10); v128.store(wp + wRowStep, a11, 16);
  v128.store(wp + 2 * wRowStep, a20); v128.store(wp + 2 * wRowStep, a21, 16);
  v128.store(wp + 3 * wRowStep, a30); v128.store(wp + 3 * wRowStep, a31, 16);
}

@inline function filterTile1x8(xp: usize, dp: usize, wp: usize, n: i32, xStep: usize, dyStep: usize): void {
  let a0 = v128.load(wp), a1 = v128.load(wp, 16);
  for (let i = 0; i < n; i++) {
    const x0 = v128.load32_splat(xp);
    a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(dp)));
    a1 = f32x4.add(a1, f32x4.mul(x0, v128.load(dp, 16)));
    xp += xStep; dp += dyStep;
  }
  v128.store(wp, a0); v128.store(wp, a1, 16);
}

@inline function filterScalar(xp: usize, dp: usize, wp: usize, n: i32, xStep: usize, dyStep: usize): void {
  let acc = load<f32>(wp);
  for (let i = 0; i < n; i++) {
    acc += load<f32>(xp) * load<f32>(dp);
    xp += xStep; dp += dyStep;
  }
  store<f32>(wp, acc);
}

// ---------------------------------------------------------------------------------
// Conv2DBackpropInput: dx[b,ih,iw,ci] += dy[b,oh,ow,co] * w[kh,kw,ci,co].
// Takes the filter pre-transposed to [kh,kw,co,ci] (wt) so a row of input channels is
// contiguous. Register tile: 4 output pixels x 8 input channels, reduced over co.
// For fewer than 8 input channels (first layers) a dot product over co is used instead.

export function conv2dBackpropInput(
  dy: usize, wt: usize, dx: usize,
  batch: i32, inH: i32, inW: i32, inC: i32,
  outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32,
): void {
  zero(dx, batch * inH * inW * inC);
  const dyPix = <usize>outC << 2;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const dyRow = dy + (<usize>((b * outH + oh) * outW * outC) << 2);
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - padTop + kh * dH;
        if (ih < 0 || ih >= inH) continue;
        const dxRow = dx + (<usize>((b * inH + ih) * inW * inC) << 2);
        for (let kw = 0; kw < kW; kw++) {
          const off = kw * dW - padLeft;
          const ow0 = firstValid(off, sW);
          const ow1 = endValid(off, sW, inW, outW);
          if (ow0 >= ow1) continue;
          const wk = wt + (<usize>((kh * kW + kw) * outC * inC) << 2);
          const dxStep = <usize>(sW * inC) << 2;
          const dxStart = dxRow + (<usize>((ow0 * sW + off) * inC) << 2);
          const dyStart = dyRow + (<usize>(ow0 * outC) << 2);
          const n = ow1 - ow0;
          let ci = 0;
          for (; ci + 8 <= inC; ci += 8) {
            const wc = wk + (<usize>ci << 2);
            const dxc = dxStart + (<usize>ci << 2);
            let p = 0;
            for (; p + 4 <= n; p += 4) {
              inputTile4x8(dyStart + <usize>p * dyPix, wc, dxc + <usize>p * dxStep, outC, inC, dyPix, dxStep);
            }
            for (; p < n; p++) {
              inputTile1x8(dyStart + <usize>p * dyPix, wc, dxc + <usize>p * dxStep, outC, inC);
            }
          }
          for (; ci < inC; ci++) {
            for (let p = 0; p < n; p++) {
              inputDot(dyStart + <usize>p * dyPix, wk + (<usize>ci << 2), dxStart + <usize>p * dxStep + (<usize>ci << 2), outC, inC);
            }
          }
        }
      }
    }
  }
}

@inline function inputTile4x8(dp: usize, wp: usize, xp: usize, outC: i32, inC: i32, dyPix: usize, dxStep: usize): void {
  const x1p = xp + dxStep, x2p = xp + 2 * dxStep, x3p = xp + 3 * dxStep;
  let a00 = v128.load(xp), a01 = v128.load(xp, 16);
  let a10 = v128.load(x1p), a11 = v128.load(x1p, 16);
  let a20 = v128.load(x2p), a21 = v128.load(x2p, 16);
  let a30 = v128.load(x3p), a31 = v128.load(x3p, 16);
  const wStep = <usize>inC << 2;
  const d1p = dp + dyPix, d2p = dp + 2 * dyPix, d3p = dp + 3 * dyPix;
  for (let co = 0; co < outC; co++) {
    const o = <usize>co << 2;
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    const d0 = v128.load32_splat(dp + o), d1 = v128.load32_splat(d1p + o);
    const d2 = v128.load32_splat(d2p + o), d3 = v128.load32_splat(d3p + o);
    a00 = f32x4.add(a00, f32x4.mul(d0, w0)); a01 = f32x4.add(a01, f32x4.mul(d0, w1));
    a10 = f32x4.add(a10, f32x4.mul(d1, w0)); a11 = f32x4.add(a11, f32x4.mul(d1, w1));
    a20 = f32x4.add(a20, f32x4.mul(d2, w0)); a21 = f32x4.add(a21, f32x4.mul(d2, w1));
    a30 = f32x4.add(a30, f32x4.mul(d3, w0)); a31 = f32x4.add(a31, f32x4.mul(d3, w1));
    wp += wStep;
  }
  v128.store(xp, a00); v128.store(xp, a01, 16);
  v128.store(x1p, a10); v128.store(x1p, a11, 16);
  v128.store(x2p, a20); v128.store(x2p, a21, 16);
  v128.store(x3p, a30); v128.store(x3p, a31, 16);
}

@inline function inputTile1x8(dp: usize, wp: usize, xp: usize, outC: i32, inC: i32): void {
  let a0 = v128.load(xp), a1 = v128.load(xp, 16);
  const wStep = <usize>inC << 2;
  for (let co = 0; co < outC; co++) {
    const d = v128.load32_splat(dp + (<usize>co << 2));
    a0 = f32x4.add(a0, f32x4.mul(d, v128.load(wp)));
    a1 = f32x4.add(a1, f32x4.mul(d, v128.load(wp, 16)));
    wp += wStep;
  }
  v128.store(xp, a0); v128.store(xp, a1, 16);
}

/** dx[ci] += sum_co dy[co] * wt[co, ci] for one pixel and one input channel. */
@inline function inputDot(dp: usize, wp: usize, xp: usize, outC: i32, inC: i32): void {
  let acc: f32 = 0;
  const wStep = <usize>inC << 2;
  for (let co = 0; co < outC; co++) {
    acc += load<f32>(dp + (<usize>co << 2)) * load<f32>(wp);
    wp += wStep;
  }
  store<f32>(xp, load<f32>(xp) + acc);
}

// ---------------------------------------------------------------------------------
// Depthwise backprops (filter [kh,kw,c,m], dy channel c*m + q).

export function depthwiseBackpropFilter(
  x: usize, dy: usize, dw: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, mult: i32,
  outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32,
): void {
  const outC = inC * mult;
  zero(dw, kH * kW * outC);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const dyRow = dy + (<usize>((b * outH + oh) * outW * outC) << 2);
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - padTop + kh * dH;
        if (ih < 0 || ih >= inH) continue;
        const xRow = x + (<usize>((b * inH + ih) * inW * inC) << 2);
        for (let kw = 0; kw < kW; kw++) {
          const off = kw * dW - padLeft;
          const ow0 = firstValid(off, sW);
          const ow1 = endValid(off, sW, inW, outW);
          const wk = dw + (<usize>((kh * kW + kw) * outC) << 2);
          for (let ow = ow0; ow < ow1; ow++) {
            const xp = xRow + (<usize>((ow * sW + off) * inC) << 2);
            const dp = dyRow + (<usize>(ow * outC) << 2);
            if (mult == 1) {
              let c = 0;
              for (; c + 4 <= inC; c += 4) {
                const o = <usize>c << 2;
                v128.store(wk + o, f32x4.add(v128.load(wk + o), f32x4.mul(v128.load(xp + o), v128.load(dp + o))));
              }
              for (; c < inC; c++) {
                const o = <usize>c << 2;
                store<f32>(wk + o, load<f32>(wk + o) + load<f32>(xp + o) * load<f32>(dp + o));
              }
            } else {
              for (let c = 0; c < inC; c++) {
                const xv = load<f32>(xp + (<usize>c << 2));
                for (let q = 0; q < mult; q++) {
                  const o = <usize>(c * mult + q) << 2;
                  store<f32>(wk + o, load<f32>(wk + o) + xv * load<f32>(dp + o));
                }
              }
            }
          }
        }
      }
    }
  }
}

export function depthwiseBackpropInput(
  dy: usize, w: usize, dx: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, mult: i32,
  outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32,
): void {
  const outC = inC * mult;
  zero(dx, batch * inH * inW * inC);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const dyRow = dy + (<usize>((b * outH + oh) * outW * outC) << 2);
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - padTop + kh * dH;
        if (ih < 0 || ih >= inH) continue;
        const dxRow = dx + (<usize>((b * inH + ih) * inW * inC) << 2);
        for (let kw = 0; kw < kW; kw++) {
          const off = kw * dW - padLeft;
          const ow0 = firstValid(off, sW);
          const ow1 = endValid(off, sW, inW, outW);
          const wk = w + (<usize>((kh * kW + kw) * outC) << 2);
          for (let ow = ow0; ow < ow1; ow++) {
            const xp = dxRow + (<usize>((ow * sW + off) * inC) << 2);
            const dp = dyRow + (<usize>(ow * outC) << 2);
            if (mult == 1) {
              let c = 0;
              for (; c + 4 <= inC; c += 4) {
                const o = <usize>c << 2;
                v128.store(xp + o, f32x4.add(v128.load(xp + o), f32x4.mul(v128.load(wk + o), v128.load(dp + o))));
              }
              for (; c < inC; c++) {
                const o = <usize>c << 2;
                store<f32>(xp + o, load<f32>(xp + o) + load<f32>(wk + o) * load<f32>(dp + o));
              }
            } else {
              for (let c = 0; c < inC; c++) {
                let acc: f32 = 0;
                for (let q = 0; q < mult; q++) {
                  const o = <usize>(c * mult + q) << 2;
                  acc += load<f32>(wk + o) * load<f32>(dp + o);
                }
                const xo = xp + (<usize>c << 2);
                store<f32>(xo, load<f32>(xo) + acc);
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// MaxPoolGrad: route each dy to the first strict maximum of its window (scan order
// kh then kw), as the tfjs cpu backend does; windows with no finite maximum route nothing.

export function maxPoolGrad(
  x: usize, dy: usize, dx: usize,
  batch: i32, inH: i32, inW: i32, chans: i32,
  outH: i32, outW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32,
): void {
  zero(dx, batch * inH * inW * chans);
  const negInf = f32x4.splat(-Infinity);
  const none = i32x4.splat(-1);
  for (let b = 0; b < batch; b++) {
    const xImg = x + (<usize>(b * inH * inW * chans) << 2);
    const dxImg = dx + (<usize>(b * inH * inW * chans) << 2);
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const dp = dy + (<usize>(((b * outH + oh) * outW + ow) * chans) << 2);
        let c = 0;
        for (; c + 4 <= chans; c += 4) {
          let best = negInf;
          let where = none;
          for (let kh = 0; kh < kH; kh++) {
            const ih = oh * sH - padTop + kh * dH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kW; kw++) {
              const iw = ow * sW - padLeft + kw * dW;
              if (iw < 0 || iw >= inW) continue;
              const pix = ih * inW + iw;
              const v = v128.load(xImg + (<usize>(pix * chans + c) << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              where = v128.bitselect(i32x4.splat(pix), where, gt);
            }
          }
          scatterLane(dxImg, dp, where, 0, c, chans);
          scatterLane(dxImg, dp, where, 1, c, chans);
          scatterLane(dxImg, dp, where, 2, c, chans);
          scatterLane(dxImg, dp, where, 3, c, chans);
        }
        for (; c < chans; c++) {
          let best: f32 = -Infinity;
          let where = -1;
          for (let kh = 0; kh < kH; kh++) {
            const ih = oh * sH - padTop + kh * dH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kW; kw++) {
              const iw = ow * sW - padLeft + kw * dW;
              if (iw < 0 || iw >= inW) continue;
              const pix = ih * inW + iw;
              const v = load<f32>(xImg + (<usize>(pix * chans + c) << 2));
              if (v > best) { best = v; where = pix; }
            }
          }
          if (where >= 0) {
            const o = dxImg + (<usize>(where * chans + c) << 2);
            store<f32>(o, load<f32>(o) + load<f32>(dp + (<usize>c << 2)));
          }
        }
      }
    }
  }
}

@inline function scatterLane(dxImg: usize, dp: usize, where: v128, lane: u8, c: i32, chans: i32): void {
  const pix = lane == 0 ? i32x4.extract_lane(where, 0)
    : lane == 1 ? i32x4.extract_lane(where, 1)
    : lane == 2 ? i32x4.extract_lane(where, 2)
    : i32x4.extract_lane(where, 3);
  if (pix < 0) return;
  const ch = c + <i32>lane;
  const o = dxImg + (<usize>(pix * chans + ch) << 2);
  store<f32>(o, load<f32>(o) + load<f32>(dp + (<usize>ch << 2)));
}

// ---------------------------------------------------------------------------------
// Batched matrix product C[b] = op(A[b % batchA]) x B[b % batchB], B row-major [K, N].
// A is addressed through strides so a transposed A costs nothing: A(i, k) = A[i*sAi + k*sAk].
// Register tile: 4 rows x 8 columns, reduced over k.

export function batchMatMul(
  a: usize, bm: usize, c: usize,
  batch: i32, batchA: i32, batchB: i32, m: i32, n: i32, k: i32, sAi: i32, sAk: i32,
): void {
  const aSize = <usize>(m * k) << 2, bSize = <usize>(k * n) << 2, cSize = <usize>(m * n) << 2;
  for (let t = 0; t < batch; t++) {
    matMul(a + <usize>(t % batchA) * aSize, bm + <usize>(t % batchB) * bSize, c + <usize>t * cSize, m, n, k, <usize>sAi << 2, <usize>sAk << 2);
  }
}

/** C = A x B for one [m, k] x [k, n] product; A's rows and columns `rowStep` and `kStepA` bytes apart, B and C row-major. */
@inline function matMul(ap: usize, bp: usize, cp: usize, m: i32, n: i32, k: i32, rowStep: usize, kStepA: usize): void {
  const kStepB = <usize>n << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const ai = ap + <usize>i * rowStep;
    const ci = cp + (<usize>(i * n) << 2);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      gemmTile4x8(ai, bp + (<usize>j << 2), ci + (<usize>j << 2), k, rowStep, kStepA, kStepB, kStepB);
    }
    for (; j < n; j++) {
      for (let r = 0; r < 4; r++) {
        gemmDot(ai + <usize>r * rowStep, bp + (<usize>j << 2), ci + (<usize>(r * n + j) << 2), k, kStepA, kStepB);
      }
    }
  }
  for (; i < m; i++) {
    const ai = ap + <usize>i * rowStep;
    const ci = cp + (<usize>(i * n) << 2);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      gemmTile1x8(ai, bp + (<usize>j << 2), ci + (<usize>j << 2), k, kStepA, kStepB);
    }
    for (; j < n; j++) {
      gemmDot(ai, bp + (<usize>j << 2), ci + (<usize>j << 2), k, kStepA, kStepB);
    }
  }
}

@inline function gemmTile4x8(ap: usize, bp: usize, cp: usize, k: i32, rowStep: usize, kStepA: usize, kStepB: usize, cRow: usize): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
  const a1p = rowStep, a2p = rowStep << 1, a3p = rowStep * 3;
  for (let t = 0; t < k; t++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(ap), x1 = v128.load32_splat(ap + a1p);
    const x2 = v128.load32_splat(ap + a2p), x3 = v128.load32_splat(ap + a3p);
    a00 = f32x4.add(a00, f32x4.mul(x0, b0)); a01 = f32x4.add(a01, f32x4.mul(x0, b1));
    a10 = f32x4.add(a10, f32x4.mul(x1, b0)); a11 = f32x4.add(a11, f32x4.mul(x1, b1));
    a20 = f32x4.add(a20, f32x4.mul(x2, b0)); a21 = f32x4.add(a21, f32x4.mul(x2, b1));
    a30 = f32x4.add(a30, f32x4.mul(x3, b0)); a31 = f32x4.add(a31, f32x4.mul(x3, b1));
    ap += kStepA; bp += kStepB;
  }
  v128.store(cp, a00); v128.store(cp, a01, 16);
  v128.store(cp + cRow, a10); v128.store(cp + cRow, a11, 16);
  v128.store(cp + 2 * cRow, a20); v128.store(cp + 2 * cRow, a21, 16);
  v128.store(cp + 3 * cRow, a30); v128.store(cp + 3 * cRow, a31, 16);
}

@inline function gemmTile1x8(ap: usize, bp: usize, cp: usize, k: i32, kStepA: usize, kStepB: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  for (let t = 0; t < k; t++) {
    const x = v128.load32_splat(ap);
    a0 = f32x4.add(a0, f32x4.mul(x, v128.load(bp)));
    a1 = f32x4.add(a1, f32x4.mul(x, v128.load(bp, 16)));
    ap += kStepA; bp += kStepB;
  }
  v128.store(cp, a0); v128.store(cp, a1, 16);
}

@inline function gemmDot(ap: usize, bp: usize, cp: usize, k: i32, kStepA: usize, kStepB: usize): void {
  let acc: f32 = 0;
  for (let t = 0; t < k; t++) {
    acc += load<f32>(ap) * load<f32>(bp);
    ap += kStepA; bp += kStepB;
  }
  store<f32>(cp, acc);
}

// ---------------------------------------------------------------------------------
// Conv2D forward with optional bias and relu/relu6: y[b,oh,ow,co] = sum x[b,ih,iw,ci] * w[kh,kw,ci,co].
// Register tile: 4 output pixels x 8 output channels, accumulated over every tap and input
// channel before a single store. Pixels whose taps all fall inside the image take the tiled
// path; the border pixels take a one-pixel path with bounds checks.

export function conv2d(
  x: usize, w: usize, bias: usize, y: usize,
  batch: i32, inH: i32, inW: i32, inC: i32,
  outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32,
  activation: i32,
): void {
  const lo = activation == 0 ? f32x4.splat(-Infinity) : f32x4.splat(0);
  const hi = activation == 2 ? f32x4.splat(6) : f32x4.splat(Infinity);
  // ow in [inA, inB): every kw tap is inside the row.
  const inA = firstValid(-padLeft, sW);
  const inB = endValid((kW - 1) * dW - padLeft, sW, inW, outW);
  const xPix = <usize>(sW * inC) << 2;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const yRow = y + (<usize>((b * outH + oh) * outW * outC) << 2);
      const ihBase = oh * sH - padTop;
      const kh0 = firstValid(ihBase, dH);
      const kh1 = endValid(ihBase, dH, inH, kH);
      const xImg = x + (<usize>(b * inH * inW * inC) << 2);
      let co = 0;
      for (; co + 8 <= outC; co += 8) {
        const wc = w + (<usize>co << 2);
        const bc = bias == 0 ? f32x4.splat(0) : v128.load(bias + (<usize>co << 2));
        const bc1 = bias == 0 ? f32x4.splat(0) : v128.load(bias + (<usize>co << 2), 16);
        let ow = 0;
        while (ow < outW) {
          const yp = yRow + (<usize>(ow * outC + co) << 2);
          if (ow >= inA && ow + 4 <= inB) {
            convTile4x8(xImg, wc, yp, ow, ihBase, kh0, kh1, kW, inW, inC, outC, sW, dH, dW, padLeft, xPix, bc, bc1, lo, hi);
            ow += 4;
          } else {
            convPixel8(xImg, wc, yp, ow, ihBase, kh0, kh1, kW, inW, inC, outC, sW, dH, dW, padLeft, bc, bc1, lo, hi);
            ow += 1;
          }
        }
      }
      for (; co < outC; co++) {
        for (let ow = 0; ow < outW; ow++) {
          let acc: f32 = bias == 0 ? 0 : load<f32>(bias + (<usize>co << 2));
          for (let kh = kh0; kh < kh1; kh++) {
            const ih = ihBase + kh * dH;
            for (let kw = 0; kw < kW; kw++) {
              const iw = ow * sW - padLeft + kw * dW;
              if (iw < 0 || iw >= inW) continue;
              const xp = xImg + (<usize>((ih * inW + iw) * inC) << 2);
              const wp = w + (<usize>(((kh * kW + kw) * inC) * outC + co) << 2);
              for (let ci = 0; ci < inC; ci++) {
                acc += load<f32>(xp + (<usize>ci << 2)) * load<f32>(wp + (<usize>(ci * outC) << 2));
              }
            }
          }
          if (activation != 0 && acc < 0) acc = 0;
          if (activation == 2 && acc > 6) acc = 6;
          store<f32>(yRow + (<usize>(ow * outC + co) << 2), acc);
        }
      }
    }
  }
}

@inline function convTile4x8(
  xImg: usize, wc: usize, yp: usize, ow: i32, ihBase: i32, kh0: i32, kh1: i32, kW: i32,
  inW: i32, inC: i32, outC: i32, sW: i32, dH: i32, dW: i32, padLeft: i32, xPix: usize,
  bc: v128, bc1: v128, lo: v128, hi: v128,
): void {
  let a00 = bc, a01 = bc1, a10 = bc, a11 = bc1, a20 = bc, a21 = bc1, a30 = bc, a31 = bc1;
  const wCi = <usize>outC << 2;
  const xPix2 = xPix << 1, xPix3 = xPix * 3;
  for (let kh = kh0; kh < kh1; kh++) {
    const ih = ihBase + kh * dH;
    for (let kw = 0; kw < kW; kw++) {
      let xp = xImg + (<usize>((ih * inW + ow * sW - padLeft + kw * dW) * inC) << 2);
      let wp = wc + (<usize>((kh * kW + kw) * inC * outC) << 2);
      for (let ci = 0; ci < inC; ci++) {
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp + xPix);
        const x2 = v128.load32_splat(xp + xPix2), x3 = v128.load32_splat(xp + xPix3);
        a00 = f32x4.add(a00, f32x4.mul(x0, w0)); a01 = f32x4.add(a01, f32x4.mul(x0, w1));
        a10 = f32x4.add(a10, f32x4.mul(x1, w0)); a11 = f32x4.add(a11, f32x4.mul(x1, w1));
        a20 = f32x4.add(a20, f32x4.mul(x2, w0)); a21 = f32x4.add(a21, f32x4.mul(x2, w1));
        a30 = f32x4.add(a30, f32x4.mul(x3, w0)); a31 = f32x4.add(a31, f32x4.mul(x3, w1));
        xp += 4; wp += wCi;
      }
    }
  }
  const yPix = <usize>outC << 2;
  v128.store(yp, clamp(a00, lo, hi)); v128.store(yp, clamp(a01, lo, hi), 16);
  v128.store(yp + yPix, clamp(a10, lo, hi)); v128.store(yp + yPix, clamp(a11, lo, hi), 16);
  v128.store(yp + 2 * yPix, clamp(a20, lo, hi)); v128.store(yp + 2 * yPix, clamp(a21, lo, hi), 16);
  v128.store(yp + 3 * yPix, clamp(a30, lo, hi)); v128.store(yp + 3 * yPix, clamp(a31, lo, hi), 16);
}

@inline function convPixel8(
  xImg: usize, wc: usize, yp: usize, ow: i32, ihBase: i32, kh0: i32, kh1: i32, kW: i32,
  inW: i32, inC: i32, outC: i32, sW: i32, dH: i32, dW: i32, padLeft: i32,
  bc: v128, bc1: v128, lo: v128, hi: v128,
): void {
  let a0 = bc, a1 = bc1;
  const wCi = <usize>outC << 2;
  for (let kh = kh0; kh < kh1; kh++) {
    const ih = ihBase + kh * dH;
    for (let kw = 0; kw < kW; kw++) {
      const iw = ow * sW - padLeft + kw * dW;
      if (iw < 0 || iw >= inW) continue;
      let xp = xImg + (<usize>((ih * inW + iw) * inC) << 2);
      let wp = wc + (<usize>((kh * kW + kw) * inC * outC) << 2);
      for (let ci = 0; ci < inC; ci++) {
        const xv = v128.load32_splat(xp);
        a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(wp)));
        a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(wp, 16)));
        xp += 4; wp += wCi;
      }
    }
  }
  v128.store(yp, clamp(a0, lo, hi)); v128.store(yp, clamp(a1, lo, hi), 16);
}

@inline function clamp(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

// ---------------------------------------------------------------------------------
// Conv2D forward of a 3x3, stride-1, undilated convolution by Winograd's minimal filtering
// F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each
// 4x4 block of outputs is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A of the 6x6 input tile d around it, so a pair
// of channels costs 36 products per block instead of 144 multiply-adds. The products of all
// channel pairs are 36 matrix products (one per position of the 6x6 tile) over a chunk of tiles:
//   u[36][inC][outC]: the filter transformed, G g Gᵀ;
//   v[36][chunk][inC]: the chunk's input tiles transformed, Bᵀ d B (zero outside the image);
//   m[36][chunk][outC] = v x u, position by position; then y = Aᵀ m A (+ bias, activation).
// `scratch` holds 72 vectors (a gathered border tile and a half-transformed one).
// inC and outC must be multiples of 4 (the transforms run on 4 channels at a time).

export function conv2dWinograd(
  x: usize, w: usize, bias: usize, y: usize, u: usize, v: usize, m: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  padTop: i32, padLeft: i32, activation: i32, chunk: i32,
): void {
  const lo = activation == 0 ? f32x4.splat(-Infinity) : f32x4.splat(0);
  const hi = activation == 2 ? f32x4.splat(6) : f32x4.splat(Infinity);
  winogradFilter(w, u, inC, outC, scratch);
  const tilesH = (outH + 3) >> 2, tilesW = (outW + 3) >> 2;
  const tiles = batch * tilesH * tilesW;
  const vPlane = <usize>(chunk * inC) << 2, mPlane = <usize>(chunk * outC) << 2, uPlane = <usize>(inC * outC) << 2;
  for (let t0 = 0; t0 < tiles; t0 += chunk) {
    const n = tiles - t0 < chunk ? tiles - t0 : chunk;
    for (let t = 0; t < n; t++) {
      const tile = t0 + t, b = tile / (tilesH * tilesW), r = tile % (tilesH * tilesW);
      winogradInput(x, v + (<usize>(t * inC) << 2), vPlane, scratch, b, ((r / tilesW) << 2) - padTop, ((r % tilesW) << 2) - padLeft, inH, inW, inC);
    }
    for (let p = 0; p < 36; p++) {
      matMul(v + <usize>p * vPlane, u + <usize>p * uPlane, m + <usize>p * mPlane, n, outC, inC, <usize>inC << 2, 4);
    }
    for (let t = 0; t < n; t++) {
      const tile = t0 + t, b = tile / (tilesH * tilesW), r = tile % (tilesH * tilesW);
      winogradOutput(m + (<usize>(t * outC) << 2), mPlane, bias, y, scratch, b, (r / tilesW) << 2, (r % tilesW) << 2, outH, outW, outC, lo, hi);
    }
  }
}

/** u[a*6+b][ci][co] = (G g Gᵀ)[a][b] of each 3x3 filter g = w[., ., ci, co] (HWIO). */
function winogradFilter(w: usize, u: usize, inC: i32, outC: i32, scratch: usize): void {
  const tap = <usize>(inC * outC) << 2;
  const plane = tap;
  for (let ci = 0; ci < inC; ci++) {
    for (let co = 0; co < outC; co += 4) {
      const g = w + (<usize>(ci * outC + co) << 2);
      // Columns: scratch[a*3 + kw] = sum_kh G[a][kh] g[kh][kw]; then rows.
      for (let kw = 0; kw < 3; kw++) filterG(g + <usize>kw * tap, 3 * tap, scratch + (<usize>kw << 4), 3 << 4);
      for (let a = 0; a < 6; a++) filterG(scratch + (<usize>(a * 3) << 4), 16, u + <usize>(a * 6) * plane + (<usize>(ci * outC + co) << 2), plane);
    }
  }
}

/** dst[i*dstStep] = (G s)[i] for the 3-vector s[k*srcStep] (4 channels each). */
@inline function filterG(src: usize, srcStep: usize, dst: usize, dstStep: usize): void {
  const g0 = v128.load(src), g1 = v128.load(src + srcStep), g2 = v128.load(src + 2 * srcStep);
  const sum = f32x4.add(g0, g2), q = f32x4.mul(g0, f32x4.splat(0.25));
  const sixth = f32x4.splat(-1.0 / 6.0);
  v128.store(dst, q);
  v128.store(dst + dstStep, f32x4.mul(f32x4.add(sum, g1), sixth));
  v128.store(dst + 2 * dstStep, f32x4.mul(f32x4.sub(sum, g1), sixth));
  // (g0/4 + g2*4)/6 ± g1/12: g0/24 ± g1/12 + g2/6.
  const even = f32x4.add(f32x4.mul(g0, f32x4.splat(1.0 / 24.0)), f32x4.mul(g2, f32x4.splat(1.0 / 6.0)));
  const odd = f32x4.mul(g1, f32x4.splat(1.0 / 12.0));
  v128.store(dst + 3 * dstStep, f32x4.add(even, odd));
  v128.store(dst + 4 * dstStep, f32x4.sub(even, odd));
  v128.store(dst + 5 * dstStep, g2);
}

/**
 * v[p][t][ci] for one tile whose 6x6 input window starts at (ih0, iw0) of image b: Bᵀ d B.
 * `tileV` points at the tile's row of position 0; positions are `plane` bytes apart.
 */
@inline function winogradInput(x: usize, tileV: usize, plane: usize, scratch: usize, b: i32, ih0: i32, iw0: i32, inH: i32, inW: i32, inC: i32): void {
  const pixel = <usize>inC << 2, row = <usize>(inW * inC) << 2;
  const inside = ih0 >= 0 && iw0 >= 0 && ih0 + 6 <= inH && iw0 + 6 <= inW;
  const half = scratch + (36 << 4);
  for (let ci = 0; ci < inC; ci += 4) {
    let src: usize, rowStep: usize, colStep: usize;
    if (inside) {
      src = x + (<usize>(((b * inH + ih0) * inW + iw0) * inC + ci) << 2);
      rowStep = row; colStep = pixel;
    } else {
      // Gather the window, zero outside the image.
      for (let i = 0; i < 6; i++) {
        const ih = ih0 + i;
        for (let j = 0; j < 6; j++) {
          const iw = iw0 + j;
          const at = scratch + (<usize>(i * 6 + j) << 4);
          if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) v128.store(at, v128.load(x + (<usize>(((b * inH + ih) * inW + iw) * inC + ci) << 2)));
          else v128.store(at, f32x4.splat(0));
        }
      }
      src = scratch; rowStep = 6 << 4; colStep = 16;
    }
    // Columns: half[i*6 + j] = (Bᵀ d)[i][j]; then rows: v[i*6 + l] = (Bᵀ d B)[i][l].
    for (let j = 0; j < 6; j++) inputBt(src + <usize>j * colStep, rowStep, half + (<usize>j << 4), 6 << 4);
    const at = tileV + (<usize>ci << 2);
    for (let i = 0; i < 6; i++) inputBt(half + (<usize>(i * 6) << 4), 16, at + <usize>(i * 6) * plane, plane);
  }
}

/** dst[i*dstStep] = (Bᵀ s)[i] for the 6-vector s[k*srcStep]. */
@inline function inputBt(src: usize, srcStep: usize, dst: usize, dstStep: usize): void {
  const d0 = v128.load(src), d1 = v128.load(src + srcStep), d2 = v128.load(src + 2 * srcStep);
  const d3 = v128.load(src + 3 * srcStep), d4 = v128.load(src + 4 * srcStep), d5 = v128.load(src + 5 * srcStep);
  const four = f32x4.splat(4), two = f32x4.splat(2), five = f32x4.splat(5);
  v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(d0, four), f32x4.mul(d2, five)), d4));
  v128.store(dst + dstStep, f32x4.sub(f32x4.add(d3, d4), f32x4.mul(f32x4.add(d1, d2), four)));
  v128.store(dst + 2 * dstStep, f32x4.add(f32x4.sub(d4, d3), f32x4.mul(f32x4.sub(d1, d2), four)));
  const d42 = f32x4.sub(d4, d2), d31 = f32x4.mul(f32x4.sub(d3, d1), two);
  v128.store(dst + 3 * dstStep, f32x4.add(d42, d31));
  v128.store(dst + 4 * dstStep, f32x4.sub(d42, d31));
  v128.store(dst + 5 * dstStep, f32x4.add(f32x4.sub(f32x4.mul(d1, four), f32x4.mul(d3, five)), d5));
}

/**
 * The 4x4 outputs at (oh0, ow0) of image b from one tile's products (position p at
 * tileM + p*plane): Aᵀ m A, plus the bias, clamped by the activation; outputs past the
 * image's edge are dropped.
 */
@inline function winogradOutput(
  tileM: usize, plane: usize, bias: usize, y: usize, scratch: usize, b: i32, oh0: i32, ow0: i32,
  outH: i32, outW: i32, outC: i32, lo: v128, hi: v128,
): void {
  const pixel = <usize>outC << 2;
  const inside = oh0 + 4 <= outH && ow0 + 4 <= outW;
  const half = scratch + (36 << 4);
  const none = f32x4.splat(0), all = f32x4.splat(-Infinity), top = f32x4.splat(Infinity);
  for (let co = 0; co < outC; co += 4) {
    const at = tileM + (<usize>co << 2);
    const bc = bias == 0 ? none : v128.load(bias + (<usize>co << 2));
    // Columns: half[r*6 + j] = (Aᵀ m)[r][j]; then rows, into the image or, at its edge, scratch.
    for (let j = 0; j < 6; j++) outputAt(at + <usize>j * plane, 6 * plane, half + (<usize>j << 4), 6 << 4, none, all, top);
    const dst = inside ? y + (<usize>(((b * outH + oh0) * outW + ow0) * outC + co) << 2) : scratch;
    const rowStep = inside ? <usize>(outW * outC) << 2 : 4 << 4, colStep = inside ? pixel : 16;
    for (let r = 0; r < 4; r++) outputAt(half + (<usize>(r * 6) << 4), 16, dst + <usize>r * rowStep, colStep, bc, lo, hi);
    if (!inside) {
      for (let r = 0; r < 4 && oh0 + r < outH; r++) {
        for (let c = 0; c < 4 && ow0 + c < outW; c++) {
          v128.store(y + (<usize>(((b * outH + oh0 + r) * outW + ow0 + c) * outC + co) << 2), v128.load(scratch + (<usize>(r * 4 + c) << 4)));
        }
      }
    }
  }
}

/** dst[i*dstStep] = clamp((Aᵀ s)[i] + bias) for the 6-vector s[k*srcStep]. */
@inline function outputAt(src: usize, srcStep: usize, dst: usize, dstStep: usize, bias: v128, lo: v128, hi: v128): void {
  const m0 = v128.load(src), m1 = v128.load(src + srcStep), m2 = v128.load(src + 2 * srcStep);
  const m3 = v128.load(src + 3 * srcStep), m4 = v128.load(src + 4 * srcStep), m5 = v128.load(src + 5 * srcStep);
  const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2), s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
  v128.store(dst, clamp(f32x4.add(f32x4.add(f32x4.add(m0, s12), s34), bias), lo, hi));
  v128.store(dst + dstStep, clamp(f32x4.add(f32x4.add(d12, f32x4.mul(d34, f32x4.splat(2))), bias), lo, hi));
  v128.store(dst + 2 * dstStep, clamp(f32x4.add(f32x4.add(s12, f32x4.mul(s34, f32x4.splat(4))), bias), lo, hi));
  v128.store(dst + 3 * dstStep, clamp(f32x4.add(f32x4.add(f32x4.add(d12, f32x4.mul(d34, f32x4.splat(8))), m5), bias), lo, hi));
}

// ---------------------------------------------------------------------------------
// Column sums of a row-major [rows, cols] matrix, scaled: out[c] = scale * sum_r x[r, c].
// Sum and Mean over leading axes (bias gradients, batch-norm statistics) without the
// transpose tfjs would make. Rows are summed in blocks into `partial` (cols floats of
// scratch) before being added to `out`, which keeps float32 rounding error small.

export function columnSum(x: usize, out: usize, partial: usize, rows: i32, cols: i32, scale: f32): void {
  zero(out, cols);
  const rowBytes = <usize>cols << 2;
  for (let r0 = 0; r0 < rows; r0 += 64) {
    const r1 = r0 + 64 < rows ? r0 + 64 : rows;
    zero(partial, cols);
    for (let r = r0; r < r1; r++) addRow(partial, x + <usize>r * rowBytes, cols);
    addRow(out, partial, cols);
  }
  if (scale != 1) {
    const s = f32x4.splat(scale);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const p = out + (<usize>c << 2);
      v128.store(p, f32x4.mul(v128.load(p), s));
    }
    for (; c < cols; c++) {
      const p = out + (<usize>c << 2);
      store<f32>(p, load<f32>(p) * scale);
    }
  }
}

@inline function addRow(acc: usize, row: usize, cols: i32): void {
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const o = <usize>c << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), v128.load(row + o)));
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    store<f32>(acc + o, load<f32>(acc + o) + load<f32>(row + o));
  }
}

// ---------------------------------------------------------------------------------
// Tile for tensors of rank ≤ 6 (shapes left-padded with 1s): out = tile(x, reps).
// Walks the output's outer indices with an odometer and copies whole inner rows, repeated
// reps5 times, instead of computing a source index per element. The repeats double what is
// already written (1, 2, 4, … rows per copy): one memory.copy per 4-byte row repeated 64
// times (a layer norm's broadcast statistics) was a ViT's slowest training kernel.

export function tile(
  x: usize, out: usize, bytes: i32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32,
  r0: i32, r1: i32, r2: i32, r3: i32, r4: i32, r5: i32,
): void {
  const row = <usize>(s5 * bytes);
  const o0 = s0 * r0, o1 = s1 * r1, o2 = s2 * r2, o3 = s3 * r3, o4 = s4 * r4;
  let dst = out;
  for (let i0 = 0; i0 < o0; i0++) {
    const a0 = i0 % s0;
    for (let i1 = 0; i1 < o1; i1++) {
      const a1 = a0 * s1 + (i1 % s1);
      for (let i2 = 0; i2 < o2; i2++) {
        const a2 = a1 * s2 + (i2 % s2);
        for (let i3 = 0; i3 < o3; i3++) {
          const a3 = a2 * s3 + (i3 % s3);
          for (let i4 = 0; i4 < o4; i4++) {
            const src = x + <usize>(a3 * s4 + (i4 % s4)) * row;
            const total = row * <usize>r5;
            memory.copy(dst, src, row);
            for (let done = row; done < total; done <<= 1) memory.copy(dst + done, dst, min(done, total - done));
            dst += total;
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// Batch norm over the last axis (channels) of a row-major [rows, channels] tensor:
// out = offset + (x - mean) * scale / sqrt(variance + eps), with tfjs's own wasm kernel's
// roundings (so the results are the same bits): (x - mean) * scale in float32, the division
// and the addition in float64, rounded once to float32 (measured against that kernel on a
// million values), vectorised over channels. `norm` is scratch for sqrt(variance + eps) per
// channel. A null scale (0) means 1, a null offset 0.

export function batchNorm(
  x: usize, mean: usize, variance: usize, offset: usize, scale: usize, eps: f32,
  out: usize, norm: usize, rows: i32, channels: i32,
): void {
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(norm + o, sqrt<f32>(load<f32>(variance + o) + eps));
  }
  const rowBytes = <usize>channels << 2;
  const zeros = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const src = x + <usize>r * rowBytes;
    const dst = out + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const o = <usize>c << 2;
      let p = f32x4.sub(v128.load(src + o), v128.load(mean + o));
      if (scale) p = f32x4.mul(p, v128.load(scale + o));
      const n = v128.load(norm + o);
      const b = offset ? v128.load(offset + o) : zeros;
      const lo = f64x2.add(f64x2.promote_low_f32x4(b), f64x2.div(f64x2.promote_low_f32x4(p), f64x2.promote_low_f32x4(n)));
      const hi = f64x2.add(f64x2.promote_low_f32x4(high(b)), f64x2.div(f64x2.promote_low_f32x4(high(p)), f64x2.promote_low_f32x4(high(n))));
      v128.store(dst + o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      let p = load<f32>(src + o) - load<f32>(mean + o);
      if (scale) p *= load<f32>(scale + o);
      const b: f64 = offset ? <f64>load<f32>(offset + o) : 0;
      store<f32>(dst + o, <f32>(b + <f64>p / <f64>load<f32>(norm + o)));
    }
  }
}

/** Lanes 2 and 3 of a float32x4 moved to lanes 0 and 1. */
@inline function high(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}
