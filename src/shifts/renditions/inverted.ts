import { mapImages, registerShift } from '../registry';

registerShift({
  name: 'inverted',
  family: 'rendition',
  random: false,
  description: 'photographic negative: 1 − x in every channel',
  apply(images, shape) {
    return mapImages(images, shape, (img, out) => {
      for (let k = 0; k < img.length; k++) out[k] = 1 - img[k];
    });
  },
});
