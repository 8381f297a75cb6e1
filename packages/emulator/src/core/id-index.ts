/**
 * Id → position for a collection kept in creation order, as an open-addressing hash table of
 * positions in one Int32Array. The ids themselves are not copied: the table asks its owner for the id
 * at a position. A `Map<string, number>` costs ~37 bytes per entry (key, value and chain slots at
 * 50–100 % load); this costs 8–16.
 */
export class IdIndex {
  /** position + 1; 0 = empty, -1 = deleted. Capacity is a power of two, at most half used. */
  #slots = new Int32Array(16);
  #size = 0;
  /** Live entries plus deleted markers (both lengthen probes). */
  #used = 0;
  readonly #idOf: (pos: number) => string;
  readonly #matches: (pos: number, id: string) => boolean;

  /**
   * `idOf(pos)` is the id stored at a live position; `matches(pos, id)` tells whether it is `id`
   * (defaults to comparing with `idOf`; owners that keep ids inside larger strings compare in place).
   */
  constructor(idOf: (pos: number) => string, matches?: (pos: number, id: string) => boolean) {
    this.#idOf = idOf;
    this.#matches = matches ?? ((pos, id) => idOf(pos) === id);
  }

  get size(): number {
    return this.#size;
  }

  get(id: string): number | undefined {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = hash(id) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === 0) return undefined;
      if (s > 0 && this.#matches(s - 1, id)) return s - 1;
    }
  }

  /** Adds `id` at `pos`; the caller has checked that `id` is not present. */
  add(id: string, pos: number): void {
    if ((this.#used + 1) * 2 > this.#slots.length) this.#rehash();
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = hash(id) & mask;
    while (slots[i]! > 0) i = (i + 1) & mask;
    if (slots[i] === 0) this.#used++;
    slots[i] = pos + 1;
    this.#size++;
  }

  delete(id: string): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = hash(id) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === 0) return false;
      if (s > 0 && this.#matches(s - 1, id)) {
        slots[i] = -1;
        this.#size--;
        return true;
      }
    }
  }

  clear(): void {
    this.#slots = new Int32Array(16);
    this.#size = 0;
    this.#used = 0;
  }

  /** Same positions under new ids (after the owner compacted its storage): rebuild from scratch. */
  rebuild(positions: Iterable<number>): void {
    this.clear();
    for (const pos of positions) this.add(this.#idOf(pos), pos);
  }

  #rehash(): void {
    const old = this.#slots;
    let cap = old.length;
    // Called at half use: grow when more than a quarter is live (load then stays 25–50 %);
    // otherwise only deleted markers are dropped.
    if (this.#size * 4 > cap) cap *= 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j++) {
      const s = old[j]!;
      if (s <= 0) continue;
      let i = hash(this.#idOf(s - 1)) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = s;
    }
    this.#slots = slots;
    this.#used = this.#size;
  }
}

/** FNV-1a over UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
