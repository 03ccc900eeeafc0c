import { mapImages, registerShift } from '../registry';
import { lumaPlane } from '../ops/color';
import { dilate } from '../ops/edges';
import { strokeRadius, writeGray } from './common';

registerShift({
  name: 'thick_strokes',
  family: 'rendition',
  random: false,
  description: 'thick brush strokes: the luma dilated (a square brush of the stroke width) and posterised to 4 tones',
  apply(images, shape) {
    const { height: H, width: W, channels: C } = shape;
    const r = strokeRadius(H, W);
    return mapImages(images, shape, (img, out) => {
      const thick = dilate(lumaPlane(img, H * W, C), H, W, r);
      for (let p = 0; p < thick.length; p++) thick[p] = Math.min(3, Math.floor(thick[p] * 4)) / 3;
      writeGray(thick, out, C);
    });
  },
});
