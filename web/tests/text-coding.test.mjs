// The UTF-8 TextDecoder/TextEncoder the glue falls back on where the platform has none
// (Jest's jsdom environment): the same strings, bytes and errors as the platform's, on
// generated input full of the bytes that start, continue or break a sequence.

import assert from 'node:assert/strict';
import test from 'node:test';
import { Utf8Decoder, Utf8Encoder } from '../pkg/text-coding.js';

/** A deterministic byte generator (a linear congruential one; no seed drift between runs). */
function* byteStrings(count) {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const edges = [0xe0, 0xed, 0xf0, 0xf4, 0x80, 0xbf, 0xc2, 0x41, 0xef, 0xbb];
  for (let n = 0; n < count; n++) {
    const bytes = new Uint8Array(Math.floor(next() * 12));
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() < 0.5 ? Math.floor(next() * 256) : edges[Math.floor(next() * edges.length)];
    yield bytes;
  }
}

test('the fallback decoder gives the platform decoder\'s text, replacements and errors', () => {
  for (const bytes of byteStrings(20_000)) {
    for (const options of [{}, { ignoreBOM: true }]) {
      assert.equal(new Utf8Decoder('utf-8', options).decode(bytes), new TextDecoder('utf-8', options).decode(bytes), `${[...bytes]}`);
    }
    const fatal = (Decoder) => {
      try {
        new Decoder('utf-8', { fatal: true }).decode(bytes);
        return 'ok';
      } catch (e) {
        return e.name;
      }
    };
    assert.equal(fatal(Utf8Decoder), fatal(TextDecoder), `${[...bytes]}`);
  }
  assert.equal(new Utf8Decoder().decode(), '');
  assert.equal(new Utf8Decoder().decode(new TextEncoder().encode('x'.repeat(20_000) + '😀').buffer), 'x'.repeat(20_000) + '😀');
});

test('the fallback encoder gives the platform encoder\'s bytes, lone surrogates included', () => {
  for (const s of ['', 'abc', 'é', '€', '😀', 'a\ud800b', '\udc00', 'x'.repeat(20_000) + '😀']) {
    assert.deepEqual(new Utf8Encoder().encode(s), new TextEncoder().encode(s), s);
    const [ours, theirs] = [new Uint8Array(5), new Uint8Array(5)];
    assert.deepEqual(new Utf8Encoder().encodeInto(s, ours), new TextEncoder().encodeInto(s, theirs), s);
    assert.deepEqual(ours, theirs, s);
  }
});
