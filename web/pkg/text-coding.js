// TextDecoder and TextEncoder for wasm-bindgen's glue: the platform's where it has them,
// else a UTF-8 implementation of the parts the glue uses.
//
// The glue creates both at module load. Jest's jsdom environment (jest-environment-jsdom
// 30) has neither, so importing the package there failed with `TextDecoder is not
// defined` before any of its code ran. `cargo xtask web build` makes the glue import
// these two names from this module instead of reading the globals, so nothing global
// is touched.

/** UTF-8 only, as the glue asks for it: `fatal` throws on malformed input. */
class Utf8Decoder {
  constructor(label = 'utf-8', options = {}) {
    if (!/^utf-?8$/i.test(String(label))) throw new RangeError(`only utf-8 is supported, not \`${label}\``);
    this.fatal = Boolean(options.fatal);
    this.ignoreBOM = Boolean(options.ignoreBOM);
  }

  get encoding() {
    return 'utf-8';
  }

  /** The WHATWG Encoding standard's UTF-8 decoder (each maximal malformed subpart is
   *  one error), so a non-fatal decode gives the platform's U+FFFDs too. */
  decode(input) {
    if (input === undefined) return '';
    const bytes = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    let i = 0;
    if (!this.ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    const units = [];
    let out = '';
    const error = () => {
      if (this.fatal) throw new TypeError('the encoded data was not valid utf-8');
      units.push(0xfffd);
    };
    let [cp, need, seen, lower, upper] = [0, 0, 0, 0x80, 0xbf];
    for (; i < bytes.length; i++) {
      const b = bytes[i];
      if (need === 0) {
        if (b <= 0x7f) units.push(b);
        else if (b >= 0xc2 && b <= 0xdf) [need, cp] = [1, b & 0x1f];
        else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) lower = 0xa0;
          if (b === 0xed) upper = 0x9f;
          [need, cp] = [2, b & 0x0f];
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) lower = 0x90;
          if (b === 0xf4) upper = 0x8f;
          [need, cp] = [3, b & 0x07];
        } else error();
      } else if (b < lower || b > upper) {
        [cp, need, seen, lower, upper] = [0, 0, 0, 0x80, 0xbf];
        error();
        i--; // the byte starts the next sequence
      } else {
        [lower, upper] = [0x80, 0xbf];
        cp = (cp << 6) | (b & 0x3f);
        if (++seen === need) {
          if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
          else units.push(cp);
          [cp, need, seen] = [0, 0, 0];
        }
      }
      if (units.length >= 8192) {
        out += String.fromCharCode(...units);
        units.length = 0;
      }
    }
    if (need !== 0) error();
    return out + String.fromCharCode(...units);
  }
}

class Utf8Encoder {
  get encoding() {
    return 'utf-8';
  }

  encode(input = '') {
    const bytes = [];
    for (const ch of String(input)) {
      let cp = ch.codePointAt(0);
      // A lone surrogate is not a scalar value: it is encoded as U+FFFD, as by the platform.
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      if (cp < 0x80) bytes.push(cp);
      else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
      else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
      else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    }
    return new Uint8Array(bytes);
  }

  encodeInto(input, view) {
    let read = 0;
    let written = 0;
    for (const ch of String(input)) {
      const bytes = this.encode(ch);
      if (written + bytes.length > view.length) break;
      view.set(bytes, written);
      written += bytes.length;
      read += ch.length;
    }
    return { read, written };
  }
}

const TextDecoder = globalThis.TextDecoder ?? Utf8Decoder;
const TextEncoder = globalThis.TextEncoder ?? Utf8Encoder;

export { TextDecoder, TextEncoder, Utf8Decoder, Utf8Encoder };
