import {
  JSON_COLLAPSE, JSON_NOT_SKELETON, JSON_SCALAR, JSON_STRING, JSON_STRING_REPLACEMENT, JSON_UNCLOSED, JSON_WHITESPACE, MAX_JSON_DEPTH,
} from './cause-syntax';

const UNCLOSED = new RegExp(JSON_UNCLOSED);
const STRING = new RegExp(JSON_STRING, 'g');
const SCALAR = new RegExp(JSON_SCALAR, 'g');
const WHITESPACE = new RegExp(JSON_WHITESPACE, 'g');
const NOT_SKELETON = new RegExp(JSON_NOT_SKELETON);
const COLLAPSE = new RegExp(JSON_COLLAPSE, 'g');

/**
 * The value of a JSON text, or undefined when it is not JSON that both decision engines read:
 * what `JSON.parse` accepts, nested at most `MAX_JSON_DEPTH` deep, with no number that could
 * overflow to infinity. The JSONata engine runs the same regular expressions (the `JSON_*` sources), so
 * the two agree on every text.
 */
export function readJson(text: string): { readonly value: unknown } | undefined {
  if (UNCLOSED.test(text)) {
    return undefined;
  }
  let skeleton = text.replace(STRING, JSON_STRING_REPLACEMENT);
  if (skeleton.includes('"')) {
    return undefined;
  }
  skeleton = skeleton.replace(SCALAR, '#').replace(WHITESPACE, '');
  if (NOT_SKELETON.test(skeleton)) {
    return undefined;
  }
  for (let pass = 0; pass < MAX_JSON_DEPTH && skeleton.length > 1; pass++) {
    skeleton = skeleton.replace(COLLAPSE, '#');
  }
  return skeleton === '~' || skeleton === '#' ? { value: JSON.parse(text) } : undefined;
}
