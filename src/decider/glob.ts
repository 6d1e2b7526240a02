/**
 * Case-insensitive glob match where `*` stands for any run of characters, including none.
 *
 * Iterative with a single backtrack point, so a 200 KB stopped reason costs linear time in the
 * common case and never blows the stack; no regular expression is built from user input.
 */
export function globMatches(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let starPi = -1;
  let starTi = 0;
  while (ti < t.length) {
    if (pi < p.length && p[pi] === '*') {
      starPi = pi++;
      starTi = ti;
    } else if (pi < p.length && p[pi] === t[ti]) {
      pi++;
      ti++;
    } else if (starPi !== -1) {
      pi = starPi + 1;
      ti = ++starTi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') {
    pi++;
  }
  return pi === p.length;
}
