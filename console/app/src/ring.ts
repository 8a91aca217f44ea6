/** A bounded buffer of the newest `capacity` items (older ones are dropped), oldest first. */
export class Ring<T> {
  private items: T[] = [];
  constructor(readonly capacity: number) {}

  push(x: T): void {
    this.items.push(x);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  toArray(): readonly T[] {
    return this.items;
  }

  get last(): T | undefined {
    return this.items[this.items.length - 1];
  }

  get size(): number {
    return this.items.length;
  }
}
