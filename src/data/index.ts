/**
 * Data: IDX parsing, the embedded Fashion-MNIST dataset and MNIST digit subset, and package paths. Pure Node (no tfjs).
 * @module
 */
export * from './idx';
export * from './fashion-mnist';
export * from './mnist-digits';
export * from './paths';
export * from './image-set';
export * from './image-io';
export * from './image-folder';
