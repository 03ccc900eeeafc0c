/**
 * JSON for values with typed arrays (a job's edit weights and correctness bitsets), so they can
 * travel through a queue that stores JSON: each Float32Array or Uint8Array becomes
 * `{"$typed": "Float32Array", "base64": "…"}`, bit for bit.
 */

const TYPED = { Float32Array, Uint8Array } as const;
type TypedName = keyof typeof TYPED;

/** `value` as JSON text, typed arrays encoded bit for bit. */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    for (const name of Object.keys(TYPED) as TypedName[]) {
      if (v instanceof TYPED[name]) return { $typed: name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    return v;
  });
}

/** The value {@link toWire} encoded, typed arrays restored (each with its own aligned buffer). */
export function fromWire<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && '$typed' in v && 'base64' in v) {
      const { $typed, base64 } = v as { $typed: string; base64: string };
      const Typed = TYPED[$typed as TypedName];
      if (!Typed) throw new Error(`editlab: unknown typed array "${$typed}" in a queued message.`);
      const bytes = Buffer.from(base64, 'base64');
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      return new Typed(copy.buffer, 0, copy.byteLength / Typed.BYTES_PER_ELEMENT);
    }
    return v;
  }) as T;
}
