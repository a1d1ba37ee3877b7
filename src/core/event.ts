// A tiny typed event: one list of listeners per event, called synchronously in order (werift's Event<T> idea).

export class TypedEvent<A extends unknown[]> {
  private listeners: ((...args: A) => void)[] = [];

  /** Adds a listener; returns a function that removes it. */
  on(fn: (...args: A) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(...args: A): void {
    for (const fn of this.listeners.slice()) fn(...args);
  }

  get size(): number {
    return this.listeners.length;
  }
}
