import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  CGI_HEADER_LENGTH,
  type CgiBlock,
  CgiReassembler,
  MAX_CGI_BODY,
  buildCgiRequest,
  encodeCgiBlock,
  parseCgiRequest,
  parseCgiVars,
  CGI_CODE_PUSH,
  UNSOLICITED_CGI_CODES,
  cgiResponseCode,
  isUnsolicitedCgi,
} from '../../nodes/wire/cgi';
import { decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { arrayUpTo, bytesUpTo, expectError, expectOk, hex, stringUpTo, toHex } from './helpers';

// PROTOCOL.md §5, captured on a C7824WIP.
const REQUEST_BODY = 'GET /check_user.cgi?name=123456789&loginuse=admin&loginpas=password&user=admin&pwd=password&';
const REQUEST_DRW = Buffer.concat([hex('f1 d0 00 68 d1 00 00 00 01 0a 00 00 5c 00 00 00'), Buffer.from(REQUEST_BODY)]);
const RESPONSE_BODY = 'result= 0;\r\nvar current_users=1;\r\nvar max_support_users=4;\r\n';
const RESPONSE_DRW = Buffer.concat([
  hex('f1 d0 00 48 d1 00 00 00 01 0a a0 60 3c 00 00 01'),
  Buffer.from(RESPONSE_BODY),
]);

function drwData(datagram: Buffer): Buffer {
  const message = expectOk(decodePppp(datagram));
  assert.equal(message.kind, 'drw');
  assert.ok(message.kind === 'drw');
  assert.equal(message.channel, 0);
  assert.equal(message.index, 0);
  return message.data;
}

function onlyBlock(data: Buffer): CgiBlock {
  const reassembler = new CgiReassembler();
  const blocks = expectOk(reassembler.push(data));
  assert.equal(blocks.length, 1);
  assert.equal(reassembler.bufferedBytes, 0);
  const [block] = blocks;
  assert.ok(block);
  return block;
}

describe('captured check_user exchange (PROTOCOL.md §5)', () => {
  test('request: DRW, then CGI block, then body and parameters', () => {
    assert.equal(REQUEST_BODY.length, 0x5c);
    const block = onlyBlock(drwData(REQUEST_DRW));
    assert.equal(block.code, 0);
    assert.equal(block.response, false);
    assert.equal(block.body.toString('latin1'), REQUEST_BODY);
    assert.deepEqual(parseCgiRequest(block.body), {
      cgi: 'check_user',
      params: { name: '123456789', loginuse: 'admin', loginpas: 'password', user: 'admin', pwd: 'password' },
    });
  });

  test('request: buildCgiRequest and encodePppp give the captured bytes', () => {
    const data = buildCgiRequest('check_user', { name: '123456789' }, { user: 'admin', password: 'password' });
    assert.equal(toHex(data), toHex(REQUEST_DRW.subarray(8)));
    assert.equal(toHex(encodePppp({ kind: 'drw', channel: 0, index: 0, data })), toHex(REQUEST_DRW));
    // `.cgi` is not doubled when the caller writes it.
    assert.deepEqual(
      buildCgiRequest('check_user.cgi', { name: '123456789' }, { user: 'admin', password: 'password' }),
      data,
    );
  });

  test('the ACK of the request', () => {
    const ack = encodePppp({ kind: 'drw-ack', channel: 0, indices: [0] });
    assert.equal(toHex(ack), 'f1 d1 00 06 d1 00 00 01 00 00');
    assert.deepEqual(expectOk(decodePppp(ack)), { kind: 'drw-ack', channel: 0, indices: [0] });
  });

  test('response: DRW, then CGI block, then variables', () => {
    assert.equal(RESPONSE_BODY.length, 0x3c);
    const block = onlyBlock(drwData(RESPONSE_DRW));
    assert.equal(block.code, 0x60a0);
    assert.equal(block.response, true);
    assert.equal(block.body.toString('latin1'), RESPONSE_BODY);
    assert.deepEqual(parseCgiVars(block.body.toString('latin1')), {
      result: '0',
      current_users: '1',
      max_support_users: '4',
    });
  });

  test('response: encoding it gives the captured bytes (flag 00 01)', () => {
    const data = encodeCgiBlock({ code: 0x60a0, response: true, body: Buffer.from(RESPONSE_BODY) });
    assert.equal(toHex(data.subarray(0, 8)), '01 0a a0 60 3c 00 00 01');
    assert.equal(toHex(encodePppp({ kind: 'drw', channel: 0, index: 0, data })), toHex(RESPONSE_DRW));
  });

  test('a request block has flag 00 00', () => {
    const data = encodeCgiBlock({ code: 0, response: false, body: Buffer.from('GET /get_status.cgi?') });
    assert.equal(toHex(data.subarray(0, 8)), '01 0a 00 00 14 00 00 00');
  });
});

describe('buildCgiRequest', () => {
  test('parameters and credentials are percent-encoded', () => {
    const body = buildCgiRequest('set_alias', { alias: 'Front door & Ж=1' }, { user: 'a d', password: 'p&w=%' })
      .subarray(CGI_HEADER_LENGTH)
      .toString('latin1');
    assert.equal(
      body,
      'GET /set_alias.cgi?alias=Front%20door%20%26%20%D0%96%3D1&loginuse=a%20d&loginpas=p%26w%3D%25&user=a%20d&pwd=p%26w%3D%25&',
    );
  });

  test('no parameters, no credentials', () => {
    assert.equal(buildCgiRequest('snapshot', {}).subarray(CGI_HEADER_LENGTH).toString('latin1'), 'GET /snapshot.cgi?');
  });

  test('a lone surrogate is sent as U+FFFD instead of throwing URIError', () => {
    const block = buildCgiRequest('x', { k: 'a\ud800b' }, { user: '\udc00', password: 'p' });
    assert.deepEqual(parseCgiRequest(block.subarray(CGI_HEADER_LENGTH))?.params, {
      k: 'a\ufffdb',
      loginuse: '\ufffd',
      loginpas: 'p',
      user: '\ufffd',
      pwd: 'p',
    });
  });
});

describe('parseCgiRequest', () => {
  test('no query', () => {
    assert.deepEqual(parseCgiRequest(Buffer.from('GET /snapshot.cgi')), { cgi: 'snapshot', params: {} });
    assert.deepEqual(parseCgiRequest(Buffer.from('GET /snapshot.cgi?')), { cgi: 'snapshot', params: {} });
  });

  test('keys without value, empty pairs, bad escapes', () => {
    assert.deepEqual(parseCgiRequest(Buffer.from('GET /a.cgi?x&&y=&z=%zz&%E0%A4%A=1')), {
      cgi: 'a',
      params: { x: '', y: '', z: '%zz', '%E0%A4%A': '1' },
    });
  });

  test('a __proto__ key is kept as plain data and does not touch the prototype', () => {
    const parsed = parseCgiRequest(Buffer.from('GET /a.cgi?__proto__=x&constructor=y&'));
    assert.ok(parsed);
    assert.equal(Object.getPrototypeOf(parsed.params), Object.prototype);
    assert.deepEqual(Object.keys(parsed.params), ['__proto__', 'constructor']);
    assert.equal(Object.getOwnPropertyDescriptor(parsed.params, '__proto__')?.value, 'x');
  });

  test('what is not a CGI GET', () => {
    for (const text of ['', 'GET /', 'GET /.cgi', 'POST /a.cgi?x=1', 'GET /a b.cgi', 'GET /a.cgx?', 'get /a.cgi']) {
      assert.equal(parseCgiRequest(Buffer.from(text)), undefined, text);
    }
  });
});

describe('parseCgiVars', () => {
  test('var lines, the bare result line, quotes, spacing', () => {
    assert.deepEqual(
      parseCgiVars('var alias="Front door";\nvar x = \'q\' ;\r\n  result= -1;\nvar empty=;\nvar t=a;b;\nnot a line\n'),
      { alias: 'Front door', x: 'q', result: '-1', empty: '', t: 'a;b' },
    );
  });

  test('prototype keys are dropped', () => {
    const vars = parseCgiVars('var __proto__=1;\nvar constructor=2;\nvar prototype=3;\nvar ok=4;');
    assert.deepEqual(vars, { ok: '4' });
    assert.equal(Object.getPrototypeOf(vars), Object.prototype);
  });

  test('a later line wins', () => {
    assert.deepEqual(parseCgiVars('var a=1;\nvar a=2;'), { a: '2' });
  });

  // The regex this parser replaced: the oracle for the differential property below.
  function referenceParseCgiVars(text: string): Record<string, string> {
    const vars: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const raw of text.split(/\r?\n/)) {
      const match = /^\s*(?:var\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*;?\s*$/.exec(raw);
      if (!match) continue;
      const [, key = '', value = ''] = match;
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
      vars[key] = value.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');
    }
    return { ...vars };
  }

  test('agrees with the original regex on short tricky lines', () => {
    const unit = fc.constantFrom(
      ...[' ', '\t', '\r', '\n', '\r\n', ';', '=', '"', "'", 'v', 'a', 'r', 'var ', 'x', '_', '1', '-'],
      ...['\u2028', '\u00a0', '\ufeff', '\u000b', 'Ж', 'result', '__proto__'],
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (text) => {
        assert.deepEqual(parseCgiVars(text), referenceParseCgiVars(text));
      }),
      { numRuns: 3000 },
    );
  });

  test('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(stringUpTo(2000, 'binary'), (text) => {
        const vars = parseCgiVars(text);
        for (const value of Object.values(vars)) assert.equal(typeof value, 'string');
      }),
      { numRuns: 500 },
    );
  });

  // A response line that any host on the LAN can forge. The old regex needed minutes for this
  // (cubic backtracking); the test runs it in a worker so a regression fails by the timeout
  // instead of hanging the suite.
  test('is linear: thousands of spaces around a semicolon', { timeout: 30_000 }, async (t) => {
    const code = `
      require('tsx/cjs');
      const { parentPort, workerData } = require('node:worker_threads');
      const { parseCgiVars } = require(workerData.module);
      parentPort.postMessage(workerData.lines.map((line) => parseCgiVars(line)));
    `;
    const spaces = ' '.repeat(20_000);
    const lines = [`a=${spaces};${spaces}x`, `var a=${spaces};${spaces};`, `a${spaces}=${spaces}\t;${spaces}`];
    const worker = new Worker(code, {
      eval: true,
      workerData: { module: join(__dirname, '../../nodes/wire/cgi.ts'), lines },
    });
    worker.unref();
    t.after(() => worker.terminate());
    const [results] = (await once(worker, 'message')) as [unknown];
    assert.deepEqual(results, [{ a: `;${spaces}x` }, { a: ';' }, { a: '' }]);
  });
});

describe('CgiReassembler', () => {
  const block = (body: string, code = 0, response = true): CgiBlock => ({ code, response, body: Buffer.from(body) });

  test('several blocks in one DRW', () => {
    const r = new CgiReassembler();
    const blocks = [block('var a=1;\r\n'), block('', 7, false), block('var b=2;\r\n', 0xffff)];
    const pushed = expectOk(r.push(Buffer.concat(blocks.map(encodeCgiBlock))));
    assert.deepEqual(pushed, blocks);
    assert.equal(r.bufferedBytes, 0);
  });

  test('a long body continues over several DRWs without a new header', () => {
    const r = new CgiReassembler();
    const body = Buffer.alloc(3000, 0x41);
    const wire = encodeCgiBlock({ code: 1, response: true, body });
    assert.deepEqual(expectOk(r.push(wire.subarray(0, 1024))), []);
    assert.equal(r.bufferedBytes, 1024);
    assert.deepEqual(expectOk(r.push(wire.subarray(1024, 2048))), []);
    assert.deepEqual(expectOk(r.push(wire.subarray(2048))), [{ code: 1, response: true, body }]);
    assert.equal(r.bufferedBytes, 0);
  });

  test('a header split across DRWs', () => {
    const r = new CgiReassembler();
    const wire = encodeCgiBlock(block('var a=1;'));
    assert.deepEqual(expectOk(r.push(wire.subarray(0, 3))), []);
    assert.deepEqual(expectOk(r.push(wire.subarray(3))), [block('var a=1;')]);
  });

  test('returned bodies are copies, not views of the caller buffer', () => {
    const r = new CgiReassembler();
    const wire = encodeCgiBlock(block('abc'));
    const [got] = expectOk(r.push(wire));
    wire.fill(0);
    assert.equal(got?.body.toString(), 'abc');
  });

  test('bad magic drops the buffer (bufferedBytes 0), and the next good block parses', () => {
    const r = new CgiReassembler();
    expectError(r.push(hex('00 01 02 03 04 05 06 07 08 09')), 'bad-magic');
    assert.equal(r.bufferedBytes, 0);
    const wire = encodeCgiBlock(block('var a=1;'));
    assert.deepEqual(expectOk(r.push(wire)), [block('var a=1;')]);
    assert.equal(r.bufferedBytes, 0);
  });

  test('junk shorter than a header waits for 8 bytes, then is dropped', () => {
    const r = new CgiReassembler();
    assert.deepEqual(expectOk(r.push(Buffer.from('xx'))), []);
    assert.equal(r.bufferedBytes, 2);
    expectError(r.push(Buffer.from('yyyyyy')), 'bad-magic');
    assert.equal(r.bufferedBytes, 0);
  });

  test('out of step after a lost DRW: the half block and the junk are dropped', () => {
    const r = new CgiReassembler();
    const wire = encodeCgiBlock(block('var a=1;'));
    assert.deepEqual(expectOk(r.push(wire.subarray(0, 12))), []);
    assert.equal(r.bufferedBytes, 12);
    expectError(r.push(Buffer.alloc(100, 0x20)), 'bad-magic');
    assert.equal(r.bufferedBytes, 0);
    assert.deepEqual(expectOk(r.push(wire)), [block('var a=1;')]);
  });

  test('the largest body the u16 length allows', () => {
    const r = new CgiReassembler();
    const body = Buffer.alloc(MAX_CGI_BODY, 0x5a);
    const wire = encodeCgiBlock({ code: 0, response: true, body });
    assert.equal(wire.readUInt16LE(4), 0xffff);
    assert.deepEqual(expectOk(r.push(wire.subarray(0, wire.length - 1))), []);
    assert.equal(r.bufferedBytes, CGI_HEADER_LENGTH + MAX_CGI_BODY - 1);
    assert.deepEqual(expectOk(r.push(wire.subarray(wire.length - 1))), [{ code: 0, response: true, body }]);
  });
});

// ---- properties ---------------------------------------------------------------------------

const blockArb: fc.Arbitrary<CgiBlock> = fc.record(
  {
    code: fc.integer({ min: 0, max: 0xffff }),
    response: fc.boolean(),
    body: fc.oneof(bytesUpTo(64), bytesUpTo(3000)),
  },
  { noNullPrototype: true },
);

/** Cuts `buf` at the given points (taken modulo its length, sorted, deduplicated). */
function split(buf: Buffer, points: readonly number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, buf.length]) {
    chunks.push(buf.subarray(start, cut));
    start = cut;
  }
  return chunks;
}

describe('CGI properties', () => {
  test('reassembling a stream of blocks split at arbitrary points gives back the blocks', () => {
    fc.assert(
      fc.property(fc.array(blockArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (blocks, points) => {
        const stream = Buffer.concat(blocks.map(encodeCgiBlock));
        const r = new CgiReassembler();
        const got: CgiBlock[] = [];
        for (const chunk of split(stream, points)) {
          got.push(...expectOk(r.push(chunk)));
          assert.ok(r.bufferedBytes < CGI_HEADER_LENGTH + MAX_CGI_BODY);
        }
        assert.deepEqual(got, blocks);
        assert.equal(r.bufferedBytes, 0);
      }),
      { numRuns: 500 },
    );
  });

  test('buffered state stays bounded and is empty after every bad-magic error', () => {
    const chunkArb = fc.oneof(
      bytesUpTo(1100),
      blockArb.map(encodeCgiBlock),
      // A header that promises more than it brings.
      fc
        .tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 }))
        .map(([length, rest]) =>
          Buffer.concat([hex('01 0a 00 00'), Buffer.from([length & 0xff, length >> 8]), hex('00 00'), rest]),
        ),
    );
    fc.assert(
      fc.property(arrayUpTo(chunkArb, 30), (chunks) => {
        const r = new CgiReassembler();
        for (const chunk of chunks) {
          const result = r.push(chunk);
          if (!result.ok) {
            assert.equal(result.error.code, 'bad-magic');
            assert.equal(r.bufferedBytes, 0);
          }
          assert.ok(r.bufferedBytes < CGI_HEADER_LENGTH + MAX_CGI_BODY);
        }
      }),
      { numRuns: 300 },
    );
  });

  const cgiNameArb = fc.stringMatching(/^[A-Za-z0-9_]{1,24}$/);
  const textArb = stringUpTo(20, 'binary');

  test('parseCgiRequest(buildCgiRequest(...)) gives back the name, parameters and credentials', () => {
    fc.assert(
      fc.property(
        cgiNameArb,
        fc.dictionary(textArb, textArb, { maxKeys: 6, noNullPrototype: true }),
        fc.option(fc.record({ user: textArb, password: textArb }, { noNullPrototype: true }), { nil: undefined }),
        (cgi, params, credentials) => {
          const wire = buildCgiRequest(cgi, params, credentials);
          const [block] = expectOk(new CgiReassembler().push(wire));
          assert.ok(block);
          assert.equal(block.response, false);
          assert.equal(block.code, 0);
          // The body is plain ASCII whatever the parameters were.
          assert.match(block.body.toString('latin1'), /^[\x21-\x7e ]*$/);
          const expected: Record<string, string> = Object.create(null) as Record<string, string>;
          for (const [k, v] of Object.entries(params)) expected[k] = v;
          if (credentials) {
            expected['loginuse'] = credentials.user;
            expected['loginpas'] = credentials.password;
            expected['user'] = credentials.user;
            expected['pwd'] = credentials.password;
          }
          assert.deepEqual(parseCgiRequest(block.body), { cgi, params: { ...expected } });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('response codes', () => {
  test('cgiResponseCode knows each command with or without .cgi, and nothing else', () => {
    assert.equal(cgiResponseCode('get_status'), 0x6001);
    assert.equal(cgiResponseCode('get_status.cgi'), 0x6001);
    assert.equal(cgiResponseCode('decoder_control'), 0x6019);
    assert.equal(cgiResponseCode('trans_cmd_string'), 0x60d1);
    assert.equal(cgiResponseCode('check_user'), 0x60a0);
    for (const name of ['', 'snapshot_x', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      assert.equal(cgiResponseCode(name), undefined, name);
    }
  });

  test('isUnsolicitedCgi: only 0x6001 and 0x6040 can be unsolicited, and never when that code is expected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.option(fc.integer({ min: 0, max: 0xffff })),
        (code, expected) => {
          const expectedCode = expected ?? undefined;
          const unsolicited = isUnsolicitedCgi(code, expectedCode);
          assert.equal(unsolicited, (code === 0x6001 || code === CGI_CODE_PUSH) && code !== expectedCode);
          if (UNSOLICITED_CGI_CODES.has(code)) assert.equal(isUnsolicitedCgi(code, code), false);
        },
      ),
    );
  });
});
