/**
 * Data: IDX parsing, the embedded Fashion-MNIST dataset and package paths. Pure Node (no tfjs).
 * @module
 */
export * from './idx';
export * from './fashion-mnist';
export * from './paths';
export * from './image-set';
export * from './image-io';
export * from './image-folder';
