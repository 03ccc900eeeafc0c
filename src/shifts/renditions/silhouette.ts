import { mapImages, registerShift } from '../registry';
import { foregroundMask, writeGray } from './common';

registerShift({
  name: 'silhouette',
  family: 'rendition',
  random: false,
  description: 'silhouette: the object as a filled black shape on white (object = differs from the border median)',
  apply(images, shape) {
    const { height: H, width: W, channels: C } = shape;
    return mapImages(images, shape, (img, out) => {
      const mask = foregroundMask(img, H, W, C);
      writeGray(Float64Array.from(mask, (m) => 1 - m), out, C);
    });
  },
});
