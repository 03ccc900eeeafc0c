/** `node:os` for the explorer page: the backend module reads the CPU count only when Node picks native TensorFlow. */
export function cpus(): unknown[] {
  return [];
}
export default { cpus };
