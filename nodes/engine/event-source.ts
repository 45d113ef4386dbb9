/**
 * A typed event source for objects there are thousands of (one camera link per camera).
 *
 * Node's EventEmitter costs about 200 B per instance once a listener has come and gone (its
 * listener table turns into a dictionary), which at 10k links was an eighth of the heap an idle
 * session takes (issue 12). Here the listeners of every event share one flat array that exists
 * only while there are listeners. The array is replaced, never changed, when a listener comes or
 * goes: an emit walks the array it started with, so (as with EventEmitter) a listener added
 * during an emit is not called by it and one removed during it still is.
 *
 * The subset of EventEmitter's API the engine's users call: on/addListener, prependListener,
 * once, off/removeListener, removeAllListeners, listenerCount. There is no 'error' special case: nothing
 * here emits 'error'.
 */
/** Per listener: its event, the function, and whether it is a `once`. */
const SLOT = 3;

export class EventSource<Events extends { [K in keyof Events]: unknown[] }> {
  private listenerSlots: readonly unknown[] | undefined;

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    return this.add(event, listener, false);
  }

  addListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    return this.add(event, listener, false);
  }

  /** Adds `listener` before every other: it hears `event` first. */
  prependListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    this.listenerSlots = this.listenerSlots
      ? [event, listener, false, ...this.listenerSlots]
      : [event, listener, false];
    return this;
  }

  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    return this.add(event, listener, true);
  }

  /** Removes the most recently added registration of `listener` for `event`, as EventEmitter does. */
  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    const slots = this.listenerSlots;
    if (!slots) return this;
    for (let i = slots.length - SLOT; i >= 0; i -= SLOT) {
      if (slots[i] === event && slots[i + 1] === listener) {
        this.setSlots([...slots.slice(0, i), ...slots.slice(i + SLOT)]);
        break;
      }
    }
    return this;
  }

  removeListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: keyof Events): this {
    const slots = this.listenerSlots;
    if (!slots || event === undefined) {
      this.listenerSlots = undefined;
      return this;
    }
    const kept: unknown[] = [];
    for (let i = 0; i < slots.length; i += SLOT) if (slots[i] !== event) kept.push(...slots.slice(i, i + SLOT));
    this.setSlots(kept);
    return this;
  }

  listenerCount(event: keyof Events): number {
    const slots = this.listenerSlots;
    let count = 0;
    if (slots) for (let i = 0; i < slots.length; i += SLOT) if (slots[i] === event) count++;
    return count;
  }

  /** Calls the listeners of `event` in the order they were added; returns whether there were any. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const slots = this.listenerSlots;
    if (!slots) return false;
    let called = false;
    for (let i = 0; i < slots.length; i += SLOT) {
      if (slots[i] !== event) continue;
      const listener = slots[i + 1];
      if (typeof listener !== 'function') continue;
      // A once listener an emit from inside an earlier listener already called is not called again.
      if (slots[i + 2] === true && !this.dropOnce(event, listener)) continue;
      called = true;
      (listener as (...args: Events[K]) => void)(...args);
    }
    return called;
  }

  private add(event: PropertyKey, listener: unknown, once: boolean): this {
    // A new array of exactly the right size: a push would reserve spare slots in every link's array.
    this.listenerSlots = this.listenerSlots ? [...this.listenerSlots, event, listener, once] : [event, listener, once];
    return this;
  }

  /** Removes a once registration; false when it is gone already (called, or removed). */
  private dropOnce(event: PropertyKey, listener: unknown): boolean {
    const slots = this.listenerSlots;
    if (!slots) return false;
    for (let i = 0; i < slots.length; i += SLOT) {
      if (slots[i] === event && slots[i + 1] === listener && slots[i + 2] === true) {
        this.setSlots([...slots.slice(0, i), ...slots.slice(i + SLOT)]);
        return true;
      }
    }
    return false;
  }

  private setSlots(slots: readonly unknown[]): void {
    this.listenerSlots = slots.length > 0 ? slots : undefined;
  }
}
