import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMMAND_NAMES, PTZ_ACTIONS, cgiCallsFor, commandFrom, parseCommand } from '../../nodes/commands/catalogue';
import { judge, payloadFor } from '../../nodes/commands/answer';
import { MotionTracker } from '../../nodes/commands/motion';
import { parseCgiValues } from '../../nodes/wire/cgi';

describe('command catalogue', () => {
  test('any payload and any defaults: a command or an error naming the field, never a throw', () => {
    fc.assert(
      fc.property(fc.anything(), fc.dictionary(fc.string(), fc.anything()), (payload, defaults) => {
        const result = commandFrom(payload, defaults);
        if (!result.ok) assert.match(result.error, /^(command|action|preset|step|cgi|params)/);
        else assert.ok(cgiCallsFor(result.value, 0, 0).length > 0);
      }),
    );
  });

  test('PTZ codes follow PROTOCOL.md §7.2; stop stops both axes', () => {
    const code = (action: string, preset = 0): string[] => {
      const parsed = parseCommand({ command: 'ptz', action, preset });
      assert.ok(parsed.ok, action);
      return cgiCallsFor(parsed.value, 0, 0).map((call) => call.params['command'] ?? '');
    };
    assert.deepEqual(code('up'), ['0']);
    assert.deepEqual(code('down'), ['2']);
    assert.deepEqual(code('left'), ['4']);
    assert.deepEqual(code('right'), ['6']);
    assert.deepEqual(code('stop'), ['1', '5']);
    assert.deepEqual(code('centre'), ['25']);
    assert.deepEqual(code('patrol-up-down'), ['26']);
    assert.deepEqual(code('patrol'), ['28']);
    assert.deepEqual(code('preset-set', 15), ['60']);
    assert.deepEqual(code('preset-go', 0), ['31']);
    assert.equal(PTZ_ACTIONS.length, 10);
  });

  test('overrides: a name, an object, or arguments for the configured command', () => {
    const defaults = { command: 'ptz', action: 'left', step: true };
    assert.deepEqual(commandFrom(42, defaults), {
      ok: true,
      value: { command: 'ptz', action: 'left', preset: 0, step: true },
    });
    assert.deepEqual(commandFrom('reboot', defaults), { ok: true, value: { command: 'reboot' } });
    assert.deepEqual(commandFrom({ action: 'right' }, defaults), {
      ok: true,
      value: { command: 'ptz', action: 'right', preset: 0, step: true },
    });
    const raw = commandFrom({ command: 'raw', cgi: '/get_record_file.cgi', params: { PageIndex: 0 } }, defaults);
    assert.deepEqual(raw, { ok: true, value: { command: 'raw', cgi: 'get_record_file', params: { PageIndex: '0' } } });
    for (const name of COMMAND_NAMES) if (name !== 'raw' && name !== 'ptz') assert.ok(commandFrom(name, {}).ok, name);
  });

  test('time-sync: Node-RED clock in Unix seconds, tz in seconds west of UTC', () => {
    const parsed = parseCommand({ command: 'time-sync' });
    assert.ok(parsed.ok);
    assert.deepEqual(cgiCallsFor(parsed.value, 1_700_000_000_999, -60), [
      { cgi: 'set_datetime', params: { now: '1700000000', tz: '-3600', ntp_enable: '0' } },
    ]);
  });
});

describe('answers', () => {
  test('result -2 is a refused login, -1 a refusal, "not support" unsupported', () => {
    assert.equal(judge(parseCgiValues('result=-2;\r\n')), 'refused-login');
    assert.equal(judge(parseCgiValues('result= -1;\r\n')), 'refused');
    assert.equal(judge(parseCgiValues('var cgi="not support";\r\n')), 'unsupported');
    assert.equal(judge(parseCgiValues('result= 0;\r\nvar current_users=1;\r\n')), 'ok');
  });

  test('typed values: unquoted numbers are numbers, quoted ones strings', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.string({ maxLength: 20 }), (n, text) => {
        const safe = text.replace(/["\r\n\u2028\u2029]/g, '');
        const values = parseCgiValues(`var a=${n};\r\nvar b="${n}";\r\nvar c="${safe}";\r\n`);
        assert.equal(values['a'], n);
        assert.equal(values['b'], String(n));
        assert.equal(values['c'], safe.trim() === safe ? safe : values['c']);
      }),
    );
  });

  test('switch answers carry state on/off', () => {
    const parsed = parseCommand({ command: 'siren', action: 'status' });
    assert.ok(parsed.ok);
    assert.equal(payloadFor(parsed.value, parseCgiValues('sirenStatus=1;\r\n'))['state'], 'on');
    assert.equal(payloadFor(parsed.value, parseCgiValues('sirenStatus=0;\r\n'))['state'], 'off');
  });
});

describe('MotionTracker', () => {
  test('edges alternate motion / motion-end whatever the polled values, and each end closes its start', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(0, 1, 2, 7), fc.anything()), { maxLength: 60 }), (polls) => {
        const tracker = new MotionTracker();
        let open: number | undefined;
        polls.forEach((value, i) => {
          for (const edge of tracker.observe(value, i * 100)) {
            if (edge.type === 'motion') {
              assert.equal(open, undefined);
              open = edge.sinceMs;
            } else {
              assert.equal(edge.sinceMs, open);
              assert.equal(edge.durationMs, i * 100 - edge.sinceMs);
              open = undefined;
            }
          }
        });
      }),
    );
  });
});

describe('secrets in answers', () => {
  test("the camera's passwords and Wi-Fi key never reach msg.payload", () => {
    const parsed = parseCommand({ command: 'params' });
    assert.ok(parsed.ok);
    const body =
      'var user1_name="admin";\r\nvar user1_pwd="888888";\r\nvar ddns_pwd="s3cret";\r\nvar mail_pwd="m";\r\n' +
      'var wifi_ssid="home";\r\nvar wifi_wpa_psk="wifi-key";\r\nvar loginpas="x";\r\nvar alias="Porch";\r\n';
    const payload = payloadFor(parsed.value, parseCgiValues(body));
    assert.deepEqual(payload, { user1_name: 'admin', wifi_ssid: 'home', alias: 'Porch' });
  });
});
