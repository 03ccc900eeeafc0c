import { mapImages, registerShift } from '../registry';
import { imageRng } from '../ops/random';
import { foregroundMask, outline, strokeRadius, writeGray } from './common';

registerShift({
  name: 'texture_fill',
  family: 'rendition',
  description: 'texture fill: the silhouette filled with stripes (random angle per image) inside a dark outline, on white',
  apply(images, shape, options) {
    const { height: H, width: W, channels: C } = shape;
    const period = Math.max(3, Math.round(Math.min(H, W) / 7));
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      const angle = Math.PI * rand();
      const phase = period * rand();
      const mask = foregroundMask(img, H, W, C);
      const line = outline(mask, H, W, strokeRadius(H, W));
      const plane = new Float64Array(H * W);
      const ca = Math.cos(angle), sa = Math.sin(angle);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const p = y * W + x;
        if (line[p]) plane[p] = 0;
        else if (mask[p]) {
          const u = (x * ca + y * sa + phase) / period;
          plane[p] = u - Math.floor(u) < 0.5 ? 0.2 : 0.75;
        } else plane[p] = 1;
      }
      writeGray(plane, out, C);
    });
  },
});
