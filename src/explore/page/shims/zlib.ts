/** `node:zlib` for the explorer page: only the dataset loaders use it, and the page gets its images from the server. */
export function gunzipSync(): never {
  throw new Error('editlab explore: node:zlib is not available in the page (its images come from the server).');
}
export default { gunzipSync };
