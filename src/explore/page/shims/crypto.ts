/** `node:crypto` for the explorer page: only notebook displays (their ids) use it, and the page has no notebook. */
export function randomBytes(): never {
  throw new Error('editlab explore: node:crypto is not available in the page.');
}
export default { randomBytes };
