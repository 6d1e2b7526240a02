import jsonata from 'jsonata';
import { compactJsonata } from '../../src/engines/state-machine/compact-jsonata';

// The compact form must mean what the readable form means: the differential tests hold the
// compacted decision expression to the decider; these hold the compactor to JSONata's lexical rules.

async function same(expression: string, bindings: Record<string, unknown> = {}, keep: string[] = []) {
  const compact = compactJsonata(expression, keep);
  expect(await jsonata(compact).evaluate({}, bindings)).toEqual(await jsonata(expression).evaluate({}, bindings));
  return compact;
}

describe('compactJsonata', () => {
  test('drops whitespace that separates nothing, and keeps what separates words', async () => {
    const compact = await same('( $total := 1 + 2 ; $total in [ 3 , 4 ] and $total > 2 )');
    expect(compact).toBe('($a:=1+2;$a in[3,4]and $a>2)');
  });

  test('renames declared names, the most used shortest, and leaves kept names, $states and built-ins alone', async () => {
    const compact = await same(
      '( $once := 1; $often := $run_attempt; $often + $often + $often + $once + $count([1]) )',
      { run_attempt: 5 },
      ['run_attempt'],
    );
    expect(compact).toBe('($b:=1;$a:=$run_attempt;$a+$a+$a+$b+$count([1]))');
    expect(compactJsonata('$states.input.x')).toBe('$states.input.x');
  });

  test('copies string literals, regex literals and backquoted names as they are', async () => {
    const compact = await same(
      '( $name := "a $name  b"; $contains($name, /\\$name  b/) and `field name` = null and \'say "hi"\' != "it\'s" )',
    );
    expect(compact).toContain('"a $name  b"');
    expect(compact).toContain('/\\$name  b/');
    expect(compact).toContain('`field name`');
  });

  test('a slash after an operand divides; after an operator or a bracket it starts a regex', async () => {
    expect(await same('( $half := 10 / 2; $half )')).toBe('($a:=10/2;$a)');
    expect(await same('( $m := $match("x/y", /\\//); $m.match )')).toBe('($a:=$match("x/y",/\\//);$a.match)');
  });

  test('function parameters are renamed with their uses, and scopes keep their shape', async () => {
    await same('( $f := function($value, $index) { $value * $index }; $map([3, 4], $f) )');
    await same('( $x := 1; $g := function($x) { $x + 1 }; [$g(10), $x] )');
  });

  test('a built-in function used often gets an alias at the start of the block', async () => {
    const expression = `( $r := [${[...Array(6).keys()].map((i) => `$exists($v${i % 2})`).join(', ')}]; $r )`;
    const compact = await same(expression, { v0: 1 });
    expect(compact.startsWith('($a:=$exists;')).toBe(true);
  });

  test('declaring a name of a built-in function is refused: renaming it would break calls to the built-in', () => {
    expect(() => compactJsonata('( $string := 1; $string )')).toThrow(/declares names of JSONata's own functions, which renaming would break: string/);
  });
});
