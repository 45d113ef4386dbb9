import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadSnapshot } from '../../nodes/camera/media/clip';
import { checkJpeg } from '../../nodes/video/jpeg';

const JPEG = loadSnapshot();

test('the emulator’s snapshot is a whole JPEG', () => {
  const checked = checkJpeg(JPEG);
  assert.ok(checked.ok && checked.value === JPEG);
});

test('every JPEG cut short is refused, never passed on as a broken image', () => {
  for (let length = 0; length < JPEG.length; length++) {
    assert.equal(checkJpeg(JPEG.subarray(0, length)).ok, false, `prefix of ${length} bytes`);
  }
});

test('a refusal or any other text is refused with a reason', () => {
  const checked = checkJpeg(Buffer.from('result=-2;\r\n'));
  assert.ok(!checked.ok);
  assert.equal(checked.error.code, 'bad-magic');
});

test('any bytes: never throws, and accepts only SOI ... EOI', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const data = Buffer.from(bytes);
      const checked = checkJpeg(data);
      const framed =
        data.length >= 8 && data[0] === 0xff && data[1] === 0xd8 && data.at(-2) === 0xff && data.at(-1) === 0xd9;
      assert.equal(checked.ok, framed);
    }),
  );
});
