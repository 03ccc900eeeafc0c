import { mapImages, registerShift } from '../registry';
import { lumaPlane } from '../ops/color';
import { borderLevel, foregroundMask, outline, strokeRadius } from './common';

registerShift({
  name: 'cartoon',
  family: 'rendition',
  random: false,
  description: 'cartoon: contrast stretched to the image range, every channel posterised to 3 tones, an outline around the object (black, or white on a dark background)',
  apply(images, shape) {
    const { height: H, width: W, channels: C } = shape;
    const r = strokeRadius(H, W);
    return mapImages(images, shape, (img, out) => {
      const line = outline(foregroundMask(img, H, W, C), H, W, r);
      let lo = Infinity, hi = -Infinity;
      for (let k = 0; k < img.length; k++) { lo = Math.min(lo, img[k]); hi = Math.max(hi, img[k]); }
      const span = hi - lo || 1;
      const ink = borderLevel(lumaPlane(img, H * W, C), H, W) < 0.5 ? 1 : 0;
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < C; c++) out[p * C + c] = line[p] ? ink : Math.min(2, Math.floor(((img[p * C + c] - lo) / span) * 3)) / 2;
      }
    });
  },
});
