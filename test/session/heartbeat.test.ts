import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatMonitor, type HeartbeatEvent } from '../../nodes/session/heartbeat-monitor';
import { RECONNECT_FIRST_MS, RECONNECT_MAX_MS, reconnectDelayMs } from '../../nodes/session/backoff';

function types(events: readonly HeartbeatEvent[]): string[] {
  return events.map((e) => e.type);
}

/** Ticks the monitor once per interval; `heard(n)` says whether the camera was heard just before tick n. */
function run(
  monitor: HeartbeatMonitor,
  ticks: number,
  heard: (tick: number, atMs: number) => boolean,
  connected: (tick: number) => boolean = () => true,
): { atMs: number; probe: boolean; events: HeartbeatEvent[] }[] {
  const out: { atMs: number; probe: boolean; events: HeartbeatEvent[] }[] = [];
  let lastHeard = 0;
  for (let n = 1; n <= ticks; n++) {
    const atMs = monitor.nextWakeMs();
    if (heard(n, atMs)) lastHeard = atMs - 1;
    const result = monitor.tick(atMs, lastHeard, connected(n));
    out.push({ atMs, probe: result.probe, events: result.events });
  }
  return out;
}

describe('HeartbeatMonitor', () => {
  const config = { intervalMs: 5000, misses: 3 };

  test('one heartbeat per interval, nothing before it is due', () => {
    const monitor = new HeartbeatMonitor(config, 1000);
    assert.equal(monitor.nextWakeMs(), 6000);
    assert.deepEqual(monitor.tick(5999, 5500, true), { probe: false, events: [] });
    const ticks = run(monitor, 4, () => true);
    assert.deepEqual(
      ticks.map((t) => t.atMs),
      [6000, 11_000, 16_000, 21_000],
    );
    for (const t of ticks) {
      assert.deepEqual(types(t.events), ['heartbeat']);
      assert.equal(t.events[0]?.report.alive, true);
      assert.equal(t.events[0]?.report.lost, false);
    }
  });

  test('lost after exactly `misses` silent intervals, reported once', () => {
    const monitor = new HeartbeatMonitor(config, 0);
    const ticks = run(monitor, 8, (n) => n === 1);
    const lostAt = ticks.filter((t) => types(t.events).includes('lost')).map((t) => t.atMs);
    assert.deepEqual(lostAt, [20_000], 'ticks 2, 3, 4 are silent: lost on the 3rd miss only');
    assert.deepEqual(
      ticks.map((t) => t.events[0]?.report.misses),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(monitor.lost, true);
    const lostEvent = ticks[3]?.events.find((e) => e.type === 'lost');
    assert.equal(lostEvent?.report.lost, true);
    assert.equal(lostEvent?.report.alive, false);
  });

  test('fewer than `misses` silent intervals never report lost', () => {
    const monitor = new HeartbeatMonitor(config, 0);
    const ticks = run(monitor, 30, (n) => n % 3 === 0);
    assert.equal(ticks.filter((t) => types(t.events).includes('lost')).length, 0);
  });

  test('restored once when traffic returns, and lost again after another silence', () => {
    const monitor = new HeartbeatMonitor(config, 0);
    const pattern = [false, false, false, false, true, true, true, false, false, false, true];
    const ticks = run(monitor, pattern.length, (n) => pattern[n - 1] === true);
    const notable = ticks.flatMap((t, i) =>
      t.events.filter((e) => e.type !== 'heartbeat').map((e) => `${i + 1}:${e.type}`),
    );
    assert.deepEqual(notable, ['3:lost', '5:restored', '10:lost', '11:restored']);
    assert.equal(monitor.lost, false);
  });

  test('traffic heard exactly at the previous tick does not count for the next interval', () => {
    const monitor = new HeartbeatMonitor({ intervalMs: 1000, misses: 1 }, 0);
    assert.deepEqual(types(monitor.tick(1000, 1000, true).events), ['heartbeat']);
    assert.deepEqual(types(monitor.tick(2000, 1000, true).events), ['heartbeat', 'lost']);
  });

  test('rtt min/avg/max/last over recorded round trips', () => {
    const monitor = new HeartbeatMonitor(config, 0);
    const first = monitor.tick(5000, 4000, true);
    assert.equal(first.events[0]?.report.rttMs, null);
    assert.equal(first.events[0]?.report.rttAvgMs, null);
    for (const rtt of [30, 10, 20, 41]) monitor.recordRtt(rtt);
    const report = monitor.tick(10_000, 9000, true).events[0]?.report;
    assert.ok(report);
    assert.equal(report.rttMs, 41);
    assert.equal(report.rttMinMs, 10);
    assert.equal(report.rttMaxMs, 41);
    assert.equal(report.rttAvgMs, 25.25);
    assert.equal(report.probesAnswered, 4);
  });

  test('a probe is requested each interval only while connected', () => {
    const monitor = new HeartbeatMonitor(config, 0);
    const connected = [true, false, false, true];
    const ticks = run(
      monitor,
      connected.length,
      () => true,
      (n) => connected[n - 1] === true,
    );
    assert.deepEqual(
      ticks.map((t) => t.probe),
      connected,
    );
    // The report counts the probes sent before this tick's own.
    assert.equal(ticks[3]?.events[0]?.report.probesSent, 1);
    assert.equal(monitor.awaitingProbe, true);
    monitor.recordRtt(5);
    assert.equal(monitor.awaitingProbe, false);
  });

  test('traffic while disconnected does not count as heard', () => {
    const monitor = new HeartbeatMonitor({ intervalMs: 1000, misses: 2 }, 0);
    const ticks = run(
      monitor,
      3,
      () => true,
      () => false,
    );
    assert.deepEqual(
      ticks.map((t) => t.events[0]?.report.alive),
      [false, false, false],
    );
    assert.deepEqual(types(ticks[1]?.events ?? []), ['heartbeat', 'lost']);
  });
});

describe('reconnectDelayMs', () => {
  test('1000, 2000, 4000 ... capped at 60000', () => {
    assert.equal(RECONNECT_FIRST_MS, 1000);
    assert.equal(RECONNECT_MAX_MS, 60_000);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 10, 100, 10_000].map((n) => reconnectDelayMs(n)),
      [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000, 60_000],
    );
  });

  test('negative attempts count as none; custom first and cap are honoured', () => {
    assert.equal(reconnectDelayMs(-3), 1000);
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => reconnectDelayMs(n, 250, 1500)),
      [250, 500, 1000, 1500],
    );
  });
});
