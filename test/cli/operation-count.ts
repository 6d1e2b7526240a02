/**
 * Counts the work a function does, without timing it, so that a test can hold an algorithm to a
 * complexity rather than to a speed (speed goals live in the bench): every step of an iterator
 * over an array, a Map or a Set (`for…of`, spread, `Array.from`), every call of a built-in
 * method that looks things up (`Map.get`, `Set.has`, `String.startsWith`, …), and, for the
 * methods that walk or move an array, each callback they call or each element they move.
 *
 * Plain index loops are not counted: the code under test does not walk histories with them.
 */
export function countOperations<T>(body: () => T): { result: T; operations: number } {
  let operations = 0;
  const restore: Array<() => void> = [];
  const wrap = (target: object, name: string, cost: (self: any, args: any[]) => number, countCallbacks = false) => {
    const original = (target as any)[name] as (...args: any[]) => any;
    (target as any)[name] = function (this: any, ...args: any[]) {
      operations += cost(this, args);
      if (countCallbacks && typeof args[0] === 'function') {
        const callback = args[0];
        args[0] = function (this: any, ...callbackArgs: any[]) {
          operations++;
          return callback.apply(this, callbackArgs);
        };
      }
      return original.apply(this, args);
    };
    restore.push(() => { (target as any)[name] = original; });
  };
  const one = () => 1;
  const length = (self: { length?: number }) => 1 + (self?.length ?? 0);

  for (const iterator of [[][Symbol.iterator](), new Map()[Symbol.iterator](), new Set()[Symbol.iterator]()]) {
    wrap(Object.getPrototypeOf(iterator), 'next', one);
  }
  for (const name of ['find', 'findIndex', 'findLast', 'findLastIndex', 'filter', 'map', 'flatMap', 'some', 'every', 'forEach', 'reduce', 'reduceRight', 'sort']) {
    wrap(Array.prototype, name, one, true);
  }
  for (const name of ['unshift', 'shift', 'splice', 'slice', 'concat', 'indexOf', 'lastIndexOf', 'includes', 'join', 'reverse', 'fill']) {
    wrap(Array.prototype, name, length);
  }
  for (const name of ['startsWith', 'endsWith', 'includes', 'indexOf', 'slice', 'split', 'replace', 'padEnd', 'padStart', 'trimEnd', 'trimStart']) {
    wrap(String.prototype, name, one);
  }
  for (const name of ['get', 'set', 'has', 'delete']) {
    wrap(Map.prototype, name, one);
  }
  for (const name of ['add', 'has', 'delete']) {
    wrap(Set.prototype, name, one);
  }
  for (const name of ['entries', 'keys', 'values']) {
    wrap(Object, name, (_, args) => 1 + (typeof args[0] === 'object' && args[0] !== null ? Object.getOwnPropertyNames(args[0]).length : 0));
  }
  try {
    const result = body();
    return { result, operations };
  } finally {
    for (let i = restore.length - 1; i >= 0; i--) {
      restore[i]();
    }
  }
}
