import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file through a temporary sibling and a rename, creating parent folders, so an
 * interrupted run never leaves a half-written checkpoint or table behind.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
