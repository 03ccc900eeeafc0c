import { mapImages, registerShift } from '../registry';
import { lumaPlane } from '../ops/color';
import { sobel } from '../ops/edges';
import { gaussianBlur } from '../ops/filter';
import { writeGray } from './common';

registerShift({
  name: 'sketch',
  family: 'rendition',
  random: false,
  description: 'pencil sketch: dark Sobel edges of the (lightly smoothed) luma on white paper',
  apply(images, shape) {
    const { height: H, width: W, channels: C } = shape;
    const N = H * W;
    return mapImages(images, shape, (img, out) => {
      const gray = gaussianBlur(lumaPlane(img, N, C), H, W, 1, Math.max(0.5, Math.min(H, W) / 112));
      const { gx, gy } = sobel(gray, H, W, 'nearest');
      const mag = new Float64Array(N);
      let max = 0;
      for (let p = 0; p < N; p++) { mag[p] = Math.hypot(gx[p], gy[p]); if (mag[p] > max) max = mag[p]; }
      const paper = new Float64Array(N);
      for (let p = 0; p < N; p++) paper[p] = max > 0 ? 1 - Math.min(1, (1.6 * mag[p]) / max) : 1;
      writeGray(paper, out, C);
    });
  },
});
