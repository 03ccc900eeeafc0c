export * from './edit';
export * from './registry';
export * from './tasks';
import './local-ft';
