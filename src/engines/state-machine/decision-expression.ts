import { Token } from 'aws-cdk-lib';
import { globToJsonataRegex } from './glob-regex';
import type { DeciderPolicy } from '../../decider/wire';
import { backoffSchedule } from '../../policy/backoff';

/**
 * The names (without `$`) of the Step Functions variables one run keeps its working state in.
 * Each run has its own, so that several runs can share one workflow.
 */
export interface EngineVariables {
  /** The 1-based number of the attempt running or just failed. */
  readonly attempt: string;
  /** The failed attempts so far: `AttemptRecord[]`. */
  readonly history: string;
  /** Where the current attempt runs: `NextAttempt` (adaptive runs only). */
  readonly placement: string;
}

/** `MAX_REASON_LENGTH` of the decider: stopped and container reasons are cut to this. */
const MAX_REASON_LENGTH = 384;
/** `MAX_NAME_LENGTH` of the decider: error names, stop codes and container names. */
const MAX_NAME_LENGTH = 255;
/** `MAX_RECORDED_CONTAINERS` and `MAX_READ_FAILURES` of the decider. */
const MAX_RECORDED = 10;
/**
 * How deeply nested a Cause may be for the engine to read it as JSON. A task description nests
 * 5 levels; a deeper Cause is read the way a Cause cut short is.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * A JSONata expression (without `{% %}`) that evaluates, in the Catch of the ECS task state, to
 * the `Decision` that the Lambda decider's `decideRetry` returns for `$states.errorOutput`, the
 * run's variables, and `$random()` as its `random`.
 *
 * The policy's values are compiled in at synth time: globs become regex literals
 * (`globToJsonataRegex`), and the backoff becomes the jitter-free wait after each attempt,
 * computed by the decider's own `backoffSeconds`, to which the expression applies the same full
 * jitter. Everything else mirrors `lambda/decide-retry.ts` step by step, with the same rule names
 * and the same history entry, and the differential tests hold the two to the same answers.
 *
 * It never raises an evaluation error, whatever the Cause: JSONata has no try/catch, and an error
 * in a Catch's `Assign` would fail the execution with `States.QueryEvaluationError`. So it calls
 * `$parse` only on text that its own validator has accepted as JSON (strings and numbers reduced to
 * placeholders, then brackets collapsed level by level), every regex is linear in the text, and
 * every function is applied only to values of the type it takes.
 */
export function renderDecisionExpression(policy: DeciderPolicy, vars: EngineVariables): string {
  const sizes = policy.sizes && policy.sizes.length >= 2 ? policy.sizes : undefined;
  const fallback = policy.fallback;
  const placed = sizes !== undefined || fallback !== undefined;
  const maxAttempts = policy.maxAttempts;

  const lines = [
    ...PARSING_FUNCTIONS,
    '$name := $type($states.errorOutput.Error) = \'string\' ? $states.errorOutput.Error : \'Unknown\';',
    '$cause := $states.errorOutput.Cause;',
    `$A := ($isInt($${vars.attempt}) and $${vars.attempt} >= 1) ? $${vars.attempt} : ${maxAttempts};`,
    `$H := $type($${vars.history}) = 'array' ? $filter($${vars.history}, function($v, $i, $a) { $i >= $count($a) - ${maxAttempts - 1} }) : [];`,
    `$P := { 'sizeIndex': $isInt($${vars.placement}.sizeIndex) ? ($${vars.placement}.sizeIndex < 0 ? 0 : $${vars.placement}.sizeIndex > ${sizes ? sizes.length - 1 : 0} ? ${sizes ? sizes.length - 1 : 0} : $${vars.placement}.sizeIndex) : 0, 'capacity': $${vars.placement}.capacity = 'fallback' ? 'fallback' : 'primary' };`,
    "$task := $name = 'States.TaskFailed' ? $parseTask($cause);",
    "$lsr := $type($task.stoppedReason) = 'string' ? $lowercase($task.stoppedReason);",
    "$lreasons := $append([], $map($task.reasons, function($r) { { 'reason': $r, 'lower': $lowercase($r) } }));",
    ...MATCHING,
    `$taskRule := function() { ${taskRule(policy, sizes)} };`,
    `$otherRule := function() { ${otherRule(policy)} };`,
    '$cls := $exists($task) ? $taskRule();',
    '$cls := $exists($cls) ? $cls : $otherRule();',
    `$retry := $cls.retryable and $A < ${maxAttempts};`,
    `$capped := ${literal(backoffSchedule(policy))}[$A - 1];`,
    `$wait := $retry ? ${policy.jitter === 'FULL' ? '($j := $floor($random() * ($capped + 1)); $j < $capped ? $j : $capped)' : '$capped'} : 0;`,
    `$rl := $exists($cls.containerReason) ? ${MAX_REASON_LENGTH / 2} : ${MAX_REASON_LENGTH};`,
    ...(sizes ? [`$sizes := ${literal(sizes)};`] : []),
    '$record := {',
    `  'attempt': $A, 'error': $trunc($name, ${MAX_NAME_LENGTH}),`,
    `  'stopCode': $exists($task.stopCode) ? $trunc($task.stopCode, ${MAX_NAME_LENGTH}),`,
    "  'stoppedReason': $exists($task.stoppedReason) ? $trunc($task.stoppedReason, $rl),",
    "  'containerReason': $exists($cls.containerReason) ? $trunc($cls.containerReason, $rl),",
    "  'exitCodes': $append([], $task.exits), 'rule': $cls.rule, 'retryable': $cls.retryable, 'waitSeconds': $wait",
    ...(sizes ? [",  'size': { 'cpu': $sizes[$P.sizeIndex].cpu, 'memoryMiB': $sizes[$P.sizeIndex].memoryMiB }"] : []),
    ...(placed ? [",  'capacity': $P.capacity"] : []),
    '};',
    '$exits := $join($map($record.exitCodes, function($x) { $x.name & \'=\' & $string($x.exitCode) }), \', \');',
    '$detail := $exists($task)',
    "  ? $join([$record.stopCode, $exists($record.stoppedReason) ? $record.stoppedReason : '(no stopped reason)'], ': ')",
    "    & ($exists($record.containerReason) ? ' (container reason: ' & $record.containerReason & ')' : '')",
    "    & ($exists($exits) ? ' (exit codes: ' & $exits & ')' : '')",
    `  : ($type($cause) = 'string' ? $trunc($cause, ${MAX_REASON_LENGTH}) : '(no cause)');`,
    `$where := ${placed ? `' [ran on ' & $P.capacity${sizes ? " & ', size ' & $string($P.sizeIndex) & ': ' & $string($record.size.cpu) & ' CPU, ' & $string($record.size.memoryMiB) & ' MiB'" : ''} & ']'` : "''"};`,
    '$decision := {',
    "  'retryable': $cls.retryable, 'retry': $retry, 'waitSeconds': $wait, 'rule': $cls.rule,",
    "  'history': $append($H, [$record]),",
    "  'cause': 'Attempt ' & $string($A) & ' failed with ' & $record.error & ': ' & $detail & ' [rule: ' & $cls.rule & ']' & $where",
    '};',
  ];
  if (placed) {
    const fallbackMatch = fallback
      ? `($exists($task) ? ($task.stopCode in ${literal(fallback.stopCodes)} or $exists($matchReasons(${globs(fallback.stoppedReasons)}))) : ${fallback.errorCauses.length > 0 ? `$exists($matchCause(${globs(fallback.errorCauses)}))` : 'false'})`
      : 'false';
    lines.push(
      '$next := $retry',
      `  ? { 'sizeIndex': $cls.escalate = true ? $P.sizeIndex + 1 : $P.sizeIndex, 'capacity': ($P.capacity = 'fallback' or ${fallbackMatch}) ? 'fallback' : 'primary' }`,
      '  : $P;',
      `$merge([$decision, { 'next': ${sizes ? "$merge([$next, { 'size': $sizes[$next.sizeIndex] }])" : '$next'} }])`,
    );
  } else {
    lines.push('$decision');
  }
  // One line: no literal spans lines, so a line break and the indentation after it are a space.
  return `(${lines.map((line) => line.trim()).join(' ')})`.replace(/\s*\n\s*/g, ' ');
}

/** The classification of a failure that carries a stopped task, or undefined to fall through. */
function taskRule(policy: DeciderPolicy, sizes: DeciderPolicy['sizes']): string {
  const outOfMemory = sizes
    ? `$oom := ($exists($task.stoppedReason) and $isOom($task.stoppedReason)) ? {} : ($cr := $task.reasons[$isOom($)][0]; $exists($cr) ? { 'containerReason': $cr });
    $exists($oom) ? ($P.sizeIndex < ${sizes.length - 1}
      ? { 'retryable': true, 'rule': 'outOfMemory:escalate to size ' & $string($P.sizeIndex + 1), 'containerReason': $oom.containerReason, 'escalate': true }
      : { 'retryable': false, 'rule': 'outOfMemoryAtLargestSize', 'containerReason': $oom.containerReason }) :`
    : '';
  return `(
    $permanent := $matchReasons(${globs(policy.nonRetryableStoppedReasons)});
    $exists($permanent) ? { 'retryable': false, 'rule': 'nonRetryableStoppedReason:' & $permanent.pattern, 'containerReason': $permanent.containerReason } : (
    ${outOfMemory}
    $task.stopCode in ${literal(policy.retryableStopCodes)} ? { 'retryable': true, 'rule': 'retryableStopCode:' & $task.stopCode } : (
    $transient := $matchReasons(${globs(policy.retryableStoppedReasons)});
    $exists($transient) ? { 'retryable': true, 'rule': 'retryableStoppedReason:' & $transient.pattern, 'containerReason': $transient.containerReason } : (
    $exit := $append([], $task.exits)[exitCode in ${literal(policy.retryableExitCodes)}][0];
    $exists($exit) ? { 'retryable': true, 'rule': 'retryableExitCode:' & $string($exit.exitCode) })))
  )`;
}

/** The classification by error name and cause, after a stopped task matched no rule. */
function otherRule(policy: DeciderPolicy): string {
  const causeRule = policy.nonRetryableErrorCauses.length > 0
    ? `$permanent := $not($exists($task)) ? $matchCause(${globs(policy.nonRetryableErrorCauses)});
    $exists($permanent) ? { 'retryable': false, 'rule': 'nonRetryableErrorCause:' & $permanent } :`
    : '';
  return `(
    ${causeRule}
    $name in ${literal(policy.retryableErrors)} ? { 'retryable': true, 'rule': 'retryableError:' & $trunc($name, ${MAX_NAME_LENGTH}) }
    : $exists($task) ? { 'retryable': false, 'rule': 'noRetryableMatch' }
    : $name = 'States.TaskFailed' ? { 'retryable': false, 'rule': 'unparseableCause' }
    : { 'retryable': false, 'rule': 'errorNotRetryable:' & $trunc($name, ${MAX_NAME_LENGTH}) }
  )`;
}

/** A list of globs as JSONata `{ p: pattern, r: regex }` pairs, in policy order. */
function globs(patterns: string[]): string {
  return `[${patterns.map((pattern) => `{ 'p': ${stringLiteral(requireResolved(pattern))}, 'r': ${globToJsonataRegex(pattern)} }`).join(', ')}]`;
}

/** A JSON value as a JSONata literal; strings with `%` escaped, so that no `%}` ends the expression. */
function literal(value: unknown): string {
  if (typeof value === 'string') {
    return stringLiteral(requireResolved(value));
  }
  if (typeof value === 'number') {
    return `${requireResolved(value)}`;
  }
  if (Array.isArray(value)) {
    return `[${value.map(literal).join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    return `{ ${Object.entries(value).map(([k, v]) => `${stringLiteral(k)}: ${literal(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function stringLiteral(text: string): string {
  return JSON.stringify(text).replace(/%/g, '\\u0025');
}

function requireResolved<T>(value: T): T {
  if (Token.isUnresolved(value)) {
    throw new Error(
      `\`decisionEngine\` DecisionEngine.STATE_MACHINE compiles the retry policy into the state machine at synth time, so every policy value must be known then, got a token: ${String(value)}. Use DecisionEngine.LAMBDA for policies given as tokens.`,
    );
  }
  return value;
}

/**
 * Reading the Cause: the JSON validator, the salvage of a Cause cut short, and the stopped task,
 * each mirroring `lambda/decide-retry.ts` and `lambda/truncated-cause.ts`. Regex literals spell
 * `\`, `/`, `[` and `]` as `\u005c`, `\u002f`, `\u005b` and `\u005d`: JSONata 2.0's regex scanner
 * misreads a backslash before a bracket.
 */
export const PARSING_FUNCTIONS = [
  '$isInt := function($n) { $type($n) = \'number\' and $n <= 1.7976931348623157e308 and $n >= -1.7976931348623157e308 and $n = $floor($n) };',
  '$first := function($xs, $n) { $filter($xs, function($v, $i) { $i < $n }) };',
  '$trunc := function($t, $max) { $length($t) <= $max ? $t : (',
  "  $marker := '…[' & $string($length($t) - $max) & ' chars cut]…';",
  '  $keep := $max - $length($marker); $keep := $keep < 0 ? 0 : $keep; $head := $ceil($keep / 2);',
  '  $substring($t, 0, $head) & $marker & $substring($t, $length($t) - ($keep - $head))',
  ') };',
  // Valid JSON, as JSON.parse accepts it: strings, then numbers and literals, become placeholders,
  // whitespace goes, and brackets holding only placeholders collapse, one level per pass.
  '$isJson := function($s) { (',
  // A string that is not valid JSON ends the text's chance of being JSON: it and the rest become
  // '!', which keeps the scan linear (no retrying at each escaped quote of an unterminated string).
  '  $t := $replace($s, /"(?:[^"\\u005c\\u0000-\\u001f]|\\u005c["\\u005c\\u002fbfnrt]|\\u005cu[0-9a-fA-F]{4})*"|"[\\s\\S]*/, function($m) { $contains($m.match, /^"(?:[^"\\u005c\\u0000-\\u001f]|\\u005c["\\u005c\\u002fbfnrt]|\\u005cu[0-9a-fA-F]{4})*"$/) ? \'~\' : \'!\' });',
  // A number $parse could overflow to infinity, which JSONata refuses, is not read: one written
  // with more than 200 integer digits, or a positive exponent of 3 digits unless it has a single
  // integer digit and an exponent of at most 307. Every finite double below 1e308 in magnitude,
  // as JSON writes it, is read; ECS writes no number anywhere near that.
  "  $t := $replace($t, /-?[0-9](?:\\.[0-9]+)?[eE]\\+?(?:[12][0-9]{2}|30[0-7])(?![0-9])|-?(?:0|[1-9][0-9]{0,199})(?:\\.[0-9]+)?(?:[eE](?:-[0-9]+|\\+?[0-9]{1,2}))?|true|false|null/, '#');",
  "  $t := $replace($t, /[ \\t\\n\\r]+/, '');",
  '  $contains($t, /[^~#{}\\u005b\\u005d,:]/) ? false : (',
  `    $t := $reduce([1..${MAX_JSON_DEPTH}], function($a, $i) { $replace($a, /\\{(?:~:[~#](?:,~:[~#])*)?\\}|\\u005b(?:[~#](?:,[~#])*)?\\u005d/, '#') }, $t);`,
  "    $t = '~' or $t = '#'",
  '  )',
  ') };',
  // The body of a JSON string, decoded when it is valid, else kept as it is.
  '$jsonText := function($raw) { $contains($raw, /^(?:[^"\\u005c\\u0000-\\u001f]|\\u005c["\\u005c\\u002fbfnrt]|\\u005cu[0-9a-fA-F]{4})*$/) ? $parse(\'"\' & $raw & \'"\') : $raw };',
  // The first "key": "value" of a Cause cut short; an unterminated value is marked as cut.
  '$stringValue := function($text, $re) { (',
  '  $m := $match($text, $re, 1);',
  '  $exists($m) ? ($m.groups[1] = \'"\' ? $jsonText($m.groups[0]) : $jsonText($replace($m.groups[0], /\\u005c(u[0-9a-fA-F]{0,3})?$/, \'\')) & \'…[cause cut short]\')',
  ') };',
  // The first complete "Containers": [ ... ] of a Cause cut short, scanned token by token.
  '$containersValue := function($text) { (',
  '  $m := $match($text, /"Containers"\\s*:\\s*(\\u005b[\\s\\S]*)/, 1);',
  '  $exists($m) ? (',
  '    $tokens := $append([], $match($m.groups[0], /"(?:[^"\\u005c]|\\u005c[\\s\\S])*"|"[\\s\\S]*|[\\u005b\\u005d{}]|[^"\\u005b\\u005d{}]+/).match);',
  "    $scan := $reduce($tokens, function($acc, $tok) { ($acc.done or $acc.bad) ? $acc : $substring($tok, 0, 1) = '\"' ? (",
  '      $contains($tok, /^"(?:[^"\\u005c]|\\u005c[\\s\\S])*"$/) ? $merge([$acc, { \'text\': $acc.text & $tok }]) : $merge([$acc, { \'bad\': true }])',
  "    ) : $tok in ['[', '{'] ? $merge([$acc, { 'text': $acc.text & $tok, 'depth': $acc.depth + 1 }])",
  "      : $tok in [']', '}'] ? $merge([$acc, { 'text': $acc.text & $tok, 'depth': $acc.depth - 1, 'done': $acc.depth = 1 }])",
  "      : $merge([$acc, { 'text': $acc.text & $tok }]) }, { 'text': '', 'depth': 0, 'done': false, 'bad': false });",
  "    ($scan.done and $isJson($scan.text)) ? ($v := $parse($scan.text); $type($v) = 'array' ? $v)",
  '  )',
  ') };',
  '$salvage := function($text) { $contains($text, /^\\s*\\{/) ? (',
  '  $sc := $stringValue($text, /"StopCode"\\s*:\\s*"((?:[^"\\u005c]|\\u005c.)*)(")?/);',
  '  $sr := $stringValue($text, /"StoppedReason"\\s*:\\s*"((?:[^"\\u005c]|\\u005c.)*)(")?/);',
  '  $cs := $containersValue($text);',
  "  ($exists($sc) or $exists($sr) or $exists($cs)) ? { 'stopCode': $sc, 'stoppedReason': $sr, 'containers': $cs }",
  ') };',
  `$reasonsOf := function($cs) { $type($cs) = 'array' ? $append([], $map($first($cs, ${MAX_RECORDED}), function($c) { ($type($c) = 'object' and $type($c.Reason) = 'string' and $c.Reason != '') ? $c.Reason })) : [] };`,
  `$exitsOf := function($cs) { $type($cs) = 'array' ? $append([], $first($append([], $map($cs, function($c) { ($type($c) = 'object' and $isInt($c.ExitCode)) ? { 'name': $trunc($type($c.Name) = 'string' ? $c.Name : '', ${MAX_NAME_LENGTH}), 'exitCode': $c.ExitCode } })), ${MAX_RECORDED})) : [] };`,
  "$taskOf := function($sc, $sr, $cs) { { 'stopCode': $sc, 'stoppedReason': $sr, 'reasons': $reasonsOf($cs), 'exits': $exitsOf($cs) } };",
  '$parsedTask := function($p) { $type($p) = \'object\' ? (',
  "  $sc := $type($p.StopCode) = 'string' ? $p.StopCode;",
  "  $sr := $type($p.StoppedReason) = 'string' ? $p.StoppedReason;",
  "  ($exists($sc) or $exists($sr) or $type($p.Containers) = 'array' or $type($p.TaskArn) = 'string') ? $taskOf($sc, $sr, $p.Containers)",
  ') };',
  "$parseTask := function($c) { $type($c) = 'string'",
  '  ? ($isJson($c) ? $parsedTask($parse($c)) : ($s := $salvage($c); $exists($s) ? $taskOf($s.stopCode, $s.stoppedReason, $s.containers)))',
  '  : $parsedTask($c) };',
  // The texts a cause pattern is matched against: RunTask's Failures[].Reason and .Detail, else the Cause.
  "$failuresOf := function($p) { $type($p) = 'object' ? (($exists($p.Failures) and $type($p.Failures) != 'null') ? $p.Failures : $p.failures) };",
  `$failureTexts := function($f) { $reduce($map($first($f, ${MAX_RECORDED}), function($x) { $type($x) = 'object' ? $append([], $map(['Reason', 'reason', 'Detail', 'detail'], function($k) { $type($lookup($x, $k)) = 'string' ? $lookup($x, $k) })) : [] }), function($a, $b) { $append($a, $b) }, []) };`,
  "$causeTexts := function($c) { $type($c) = 'string'",
  "  ? ($isJson($c) ? ($f := $failuresOf($parse($c)); $type($f) = 'array' ? $failureTexts($f) : [$c]) : [$c])",
  "  : ($f := $failuresOf($c); $type($f) = 'array' ? $failureTexts($f) : []) };",
];

/** Glob matching over the stopped task's reasons and the cause texts, in policy order. */
const MATCHING = [
  "$isOom := function($r) { $lowercase($substring($r, 0, 16)) = 'outofmemoryerror' };",
  '$matchReasons := function($globs) { ($hits := $map($globs, function($g) {',
  "  ($exists($lsr) and $contains($lsr, $g.r)) ? { 'pattern': $g.p } : (",
  "    $cr := $lreasons[$contains(lower, $g.r)][0].reason; $exists($cr) ? { 'pattern': $g.p, 'containerReason': $cr })",
  '}); $hits[0]) };',
  '$matchCause := function($globs) { (',
  '  $texts := $append([], $map($causeTexts($cause), function($t) { $lowercase($t) }));',
  '  $hits := $map($globs, function($g) { $exists($texts[$contains($, $g.r)]) ? $g.p }); $hits[0]',
  ') };',
];
