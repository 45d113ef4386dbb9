import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from '../../nodes/engine/event-source';

interface Events {
  ping: [number];
  pong: [string, number];
}

/** The emit is protected (only the owner emits): a test subclass opens it. */
class Source extends EventSource<Events> {
  fire<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    return this.emit(event, ...args);
  }
}

describe('EventSource (the camera link events, lighter than EventEmitter)', () => {
  test('listeners hear their event, in the order added, with the arguments emitted', () => {
    const source = new Source();
    const heard: string[] = [];
    source.on('ping', (n) => heard.push(`a${n}`));
    source.on('pong', (text, n) => heard.push(`${text}${n}`));
    source.on('ping', (n) => heard.push(`b${n}`));
    source.prependListener('ping', (n) => heard.push(`first${n}`));
    assert.equal(source.fire('ping', 1), true);
    assert.equal(source.fire('pong', 'x', 2), true);
    assert.deepEqual(heard, ['first1', 'a1', 'b1', 'x2']);
    assert.equal(source.listenerCount('ping'), 3);
  });

  test('emit returns false with no listener for the event', () => {
    const source = new Source();
    assert.equal(source.fire('ping', 1), false);
    source.on('pong', () => undefined);
    assert.equal(source.fire('ping', 1), false);
  });

  test('once is heard once; off removes a once listener by the function given', () => {
    const source = new Source();
    let count = 0;
    const listener = (): void => {
      count++;
    };
    source.once('ping', listener);
    source.fire('ping', 1);
    source.fire('ping', 2);
    assert.equal(count, 1);
    source.once('ping', listener);
    source.off('ping', listener);
    source.fire('ping', 3);
    assert.equal(count, 1);
    assert.equal(source.listenerCount('ping'), 0);
  });

  test('off removes the latest registration of a listener added twice, as EventEmitter does', () => {
    const source = new Source();
    const heard: number[] = [];
    const listener = (n: number): void => {
      heard.push(n);
    };
    source.on('ping', listener);
    source.on('ping', listener);
    source.off('ping', listener);
    source.fire('ping', 7);
    assert.deepEqual(heard, [7]);
  });

  test('an emit calls the listeners it started with: added during it are not called, removed during it still are', () => {
    const source = new Source();
    const heard: string[] = [];
    const late = (): void => {
      heard.push('late');
    };
    const second = (): void => {
      heard.push('second');
    };
    source.on('ping', () => {
      heard.push('first');
      source.on('ping', late);
      source.off('ping', second);
    });
    source.on('ping', second);
    source.fire('ping', 1);
    assert.deepEqual(heard, ['first', 'second']);
    heard.length = 0;
    source.fire('ping', 2);
    assert.deepEqual(heard, ['first', 'late']);
  });

  test('removeAllListeners for one event or all', () => {
    const source = new Source();
    source.on('ping', () => undefined);
    source.on('pong', () => undefined);
    source.on('ping', () => undefined);
    source.removeAllListeners('ping');
    assert.equal(source.listenerCount('ping'), 0);
    assert.equal(source.listenerCount('pong'), 1);
    source.removeAllListeners();
    assert.equal(source.listenerCount('pong'), 0);
    assert.equal(source.fire('pong', 'x', 1), false);
  });

  test('a listener that throws stops the emit and the error reaches the emitter, as with EventEmitter', () => {
    const source = new Source();
    source.on('ping', () => {
      throw new Error('boom');
    });
    assert.throws(() => source.fire('ping', 1), /boom/);
  });
  test('a once listener is called once even when an earlier listener emits the same event again', () => {
    const source = new Source();
    let calls = 0;
    let nested = false;
    source.on('ping', () => {
      if (nested) return;
      nested = true;
      source.fire('ping', 2);
    });
    source.once('ping', () => {
      calls++;
    });
    source.fire('ping', 1);
    assert.equal(calls, 1);
  });
});
