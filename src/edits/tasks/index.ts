/** Editing tasks: the interface and registry, and one module per task (importing this registers them all). */
export * from './task';
export * from './snow-background';
export * from './concept-style';
export * from './digit-patching';
