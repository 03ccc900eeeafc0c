/**
 * The reference cloud as data: standard (unedited) models that differ in architecture, depth,
 * width, epochs, training-set size and seed, so their in-distribution accuracies spread out and
 * the shift baselines (accuracy on the line) can be fitted through them. Sized to train in about
 * half an hour on 2 CPU cores.
 */

/** One standard model of the cloud. */
export interface CloudMember {
  /** Unique name; also its folder and its `model` value in the table. */
  name: string;
  /** Registry architecture. */
  arch: string;
  /** Width multiplier. */
  width: number;
  epochs: number;
  seed: number;
  /** Trained on the first `trainSize` Fashion-MNIST training images. */
  trainSize: number;
}

/** The name a member gets from its settings, e.g. `vgg-mini-w0.5-e2-n30k-s1`. */
export function memberName(m: Omit<CloudMember, 'name'>): string {
  return `${m.arch}-w${m.width}-e${m.epochs}-n${m.trainSize / 1000}k-s${m.seed}`;
}

// arch, width, epochs, training images (thousands), seed
const SETTINGS: [string, number, number, number, number][] = [
  ['linear', 1, 1, 10, 0],
  ['linear', 1, 3, 60, 1],
  ['mlp', 0.5, 1, 10, 0],
  ['mlp', 1, 2, 30, 1],
  ['mlp', 1, 4, 60, 2],
  ['reference-cnn', 0.25, 1, 10, 0],
  ['reference-cnn', 0.25, 2, 30, 1],
  ['reference-cnn', 0.5, 1, 20, 2],
  ['reference-cnn', 0.5, 3, 30, 3],
  ['reference-cnn', 1, 2, 30, 4],
  ['reference-cnn', 1, 3, 60, 5],
  ['vgg-mini', 0.5, 1, 20, 0],
  ['vgg-mini', 1, 2, 30, 1],
  ['vgg-mini', 1, 1, 60, 2],
  ['vgg-small', 0.25, 2, 20, 0],
  ['vgg-small', 0.5, 2, 30, 1],
  ['vgg-small', 0.5, 4, 60, 2],
  ['resnet-mini', 0.5, 1, 20, 0],
  ['resnet-mini', 0.5, 2, 30, 1],
  ['resnet-small', 0.5, 1, 30, 0],
  ['resnet-small', 0.5, 2, 60, 1],
  ['vit-mini', 1, 2, 30, 0],
  ['vit-mini', 1, 4, 30, 1],
  ['vit-tiny', 0.5, 1, 30, 0],
  ['vit-tiny', 0.5, 2, 30, 1],
];

/** The standard reference cloud: 25 models over 9 architectures. */
export const CLOUD_MEMBERS: readonly CloudMember[] = SETTINGS.map(([arch, width, epochs, thousands, seed]) => {
  const m = { arch, width, epochs, trainSize: thousands * 1000, seed };
  return { name: memberName(m), ...m };
});
