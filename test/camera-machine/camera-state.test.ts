import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CameraState,
  MOTION_ALARM_MS,
  ONE_STEP,
  PAN_LIMIT,
  PRESET_COUNT,
  STEPS_PER_SECOND,
  TILT_LIMIT,
} from '../../nodes/camera/camera-state';

const still = (): CameraState => new CameraState({ motionEveryMs: 0 });

/** Any decoder_control command, including ones outside the table, at a non-decreasing time. */
const step = fc.record({
  command: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: -5, max: 70_000 })),
  oneStep: fc.boolean(),
  afterMs: fc.integer({ min: 0, max: 60_000 }),
});

test('any command sequence keeps the head within its limits, at every moment', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const state = still();
      let now = 0;
      for (const { command, oneStep, afterMs } of steps) {
        now += afterMs;
        state.decoderControl(command, oneStep, now);
        for (const probe of [now, now + afterMs / 2]) {
          const { x, y } = state.position(probe);
          assert.ok(Math.abs(x) <= PAN_LIMIT && Math.abs(y) <= TILT_LIMIT, `(${x}, ${y}) at ${probe}`);
        }
      }
    }),
  );
});

test('presets round-trip: go-to returns exactly where set-preset was, whatever happened between', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: PRESET_COUNT - 1 }),
      fc.array(step, { maxLength: 20 }),
      fc.array(step, { maxLength: 20 }),
      (slot, before, between) => {
        const state = still();
        let now = 0;
        const run = (list: typeof before): void => {
          for (const s of list) {
            now += s.afterMs;
            // Preset commands of this slot are left out, so only the explicit set below stores it.
            if (s.command !== 30 + 2 * slot) state.decoderControl(s.command, s.oneStep, now);
          }
        };
        run(before);
        const stored = state.position(now);
        assert.equal(state.decoderControl(30 + 2 * slot, false, now), 'ok');
        run(between);
        assert.equal(state.decoderControl(31 + 2 * slot, false, now), 'ok');
        assert.deepEqual(state.position(now), stored);
        assert.equal(state.isMoving(now + 10_000), false, 'going to a preset stops every move');
      },
    ),
  );
});

test('moves: start runs at STEPS_PER_SECOND, stop holds, onestep moves ONE_STEP, centre resets', () => {
  const state = still();
  state.decoderControl(0, false, 0);
  assert.deepEqual(state.position(1000), { x: 0, y: STEPS_PER_SECOND });
  state.decoderControl(1, false, 1000);
  assert.deepEqual(state.position(9000), { x: 0, y: STEPS_PER_SECOND });
  state.decoderControl(4, true, 9000);
  assert.deepEqual(state.position(9000), { x: -ONE_STEP, y: STEPS_PER_SECOND });
  assert.equal(state.isMoving(9000), false);
  assert.equal(state.decoderControl(25, false, 9000), 'ok');
  assert.deepEqual(state.position(9000), { x: 0, y: 0 });
  assert.equal(state.decoderControl(31, false, 9000), 'no-such-preset');
  assert.equal(state.decoderControl(62, false, 9000), 'unknown-command');
});

test('a patrol bounces between the limits until stopped', () => {
  const state = still();
  state.decoderControl(28, false, 0);
  const quarter = (PAN_LIMIT / STEPS_PER_SECOND) * 1000;
  assert.equal(state.position(quarter).x, PAN_LIMIT);
  assert.equal(state.position(3 * quarter).x, -PAN_LIMIT);
  assert.equal(state.position(4 * quarter).x, 0);
  assert.ok(state.isMoving(4 * quarter));
  state.decoderControl(29, false, 5 * quarter);
  assert.equal(state.position(50 * quarter).x, PAN_LIMIT);
  assert.equal(state.isMoving(50 * quarter), false);
  state.decoderControl(26, false, 50 * quarter);
  assert.ok(state.position(51 * quarter).y !== 0);
  state.decoderControl(27, false, 51 * quarter);
  assert.equal(state.isMoving(52 * quarter), false);
});

test('motion alarm: on for min(3 s, half the period) from every multiple of the period', () => {
  const state = new CameraState({ motionEveryMs: 10_000 });
  assert.equal(state.alarmStatus(20_000), 1);
  assert.equal(state.alarmStatus(20_000 + MOTION_ALARM_MS - 1), 1);
  assert.equal(state.alarmStatus(20_000 + MOTION_ALARM_MS), 0);
  assert.equal(state.alarmStatus(29_999), 0);
  assert.equal(state.nextAlarmChangeMs(20_500), 23_000);
  assert.equal(state.nextAlarmChangeMs(23_000), 30_000);
  const fast = new CameraState({ motionEveryMs: 2000 });
  assert.equal(fast.alarmStatus(999), 1);
  assert.equal(fast.alarmStatus(1000), 0);
  assert.equal(still().alarmStatus(0), 0);
  assert.equal(still().nextAlarmChangeMs(0), undefined);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 2 ** 42 }), (period, now) => {
      const s = new CameraState({ motionEveryMs: period });
      const next = s.nextAlarmChangeMs(now);
      assert.ok(next !== undefined && next > now);
      assert.equal(s.alarmStatus(next - 1), s.alarmStatus(now), 'no change before the announced one');
      if (period > 1) assert.notEqual(s.alarmStatus(next), s.alarmStatus(now));
    }),
  );
});

test('clock: set_datetime offsets camera time from host time and keeps tz and NTP settings', () => {
  const state = still();
  assert.equal(state.nowSeconds(5_000), 5);
  state.setClock(5_000, 1_700_000_000, { tz: -7200 });
  assert.equal(state.nowSeconds(6_000), 1_700_000_001);
  state.setClock(6_000, undefined, { ntpEnable: false });
  assert.deepEqual(state.clockSettings, { tz: -7200, ntpEnable: false, ntpServer: 'time.nist.gov' });
  assert.equal(state.nowSeconds(6_000), 1_700_000_001);
});
