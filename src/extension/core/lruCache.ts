/** A small least-recently-used map. The hover keys entries by document URI, version and window, so an edit
 *  makes old entries unreachable and they age out. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity = 64) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  /** Drops every entry whose key starts with `prefix` (e.g. a closed document). */
  deletePrefix(prefix: string): void {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.map.delete(k);
  }

  get size(): number {
    return this.map.size;
  }
}

/** Key for a per-document-version cache entry. */
export function versionKey(uri: string, version: number, ...parts: (string | number)[]): string {
  return [uri, version, ...parts].join('|');
}
