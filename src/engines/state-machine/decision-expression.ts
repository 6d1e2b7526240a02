import { Token } from 'aws-cdk-lib';
import { CUT_MARKER, CutCauseSyntax, JsonSyntax, MAX_JSON_DEPTH } from '../../decider/cause-syntax';
import {
  BRIEF_NAME_LENGTH, BRIEF_RULE_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_NAME_LENGTH, MAX_READ_CONTAINERS, MAX_REASON_LENGTH, MAX_RULE_LENGTH,
  WHOLE_LATEST_ENTRIES,
} from '../../decider/history-bounds';
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

/**
 * A JSONata expression (without `{% %}`) that evaluates, in the Catch of the ECS task state, to
 * the `Decision` that the Lambda decider's `decideRetry` returns for `$states.errorOutput`, the
 * run's variables, and `$random()` as its `random`.
 *
 * The policy is the decider's own policy document, written into the expression as one JSON text
 * that `$parse` reads, with the jitter-free wait after each attempt computed at synth time by the
 * decider's own `backoffSeconds`; the expression applies the same full jitter. Everything else
 * mirrors `lambda/decide-retry.ts` step by step, with the same rule names and the same history,
 * and the differential tests hold the two to the same answers.
 *
 * Bounded, whatever the Cause (README, "Limits"):
 * - It never raises an evaluation error: JSONata has no try/catch, and an error in a Catch's Output
 *   fails the execution with `States.QueryEvaluationError`. `$parse` reads only text that
 *   `JsonSyntax` accepted, and every function is applied only to values of the type it takes.
 * - Its work is linear in the Cause with small constants: the Cause is read by a fixed number of
 *   native passes of linear regular expressions (`cause-syntax.ts`), and the expression's own
 *   steps run over at most 10 containers, 10 RunTask failures and the policy's lists, never over
 *   the Cause's characters or tokens.
 * - Its evaluation depth does not grow with the policy: JSONata evaluates the items of an array or
 *   object constructor concurrently, so the policy's lists are data in the `$parse`d document,
 *   never constructors, and globs are matched with string functions instead of a list of regexes.
 */
export function renderDecisionExpression(policy: DeciderPolicy, vars: EngineVariables): string {
  const sizes = policy.sizes && policy.sizes.length >= 2 ? policy.sizes : undefined;
  const fallback = policy.fallback;
  const placed = sizes !== undefined || fallback !== undefined;
  const maxAttempts = requireResolved(policy.maxAttempts);
  const lastSize = sizes ? sizes.length - 1 : 0;
  const attempt = `$${vars.attempt}`;
  const history = `$${vars.history}`;
  const placement = `$${vars.placement}`;

  const lines = [
    `$p := $parse(${documentLiteral({ ...policy, waits: backoffSchedule(policy) })});`,
    ...READING_FUNCTIONS,
    "$name := $type($states.errorOutput.Error) = 'string' ? $states.errorOutput.Error : 'Unknown';",
    '$cause := $states.errorOutput.Cause;',
    `$A := ($isInt(${attempt}) and ${attempt} >= 1) ? ${attempt} : ${maxAttempts};`,
    `$H := $type(${history}) != 'array' ? [] : $count(${history}) <= ${maxAttempts - 1} ? ${history} : $filter(${history}, function($v, $i, $a) { $i >= $count($a) - ${maxAttempts - 1} });`,
    `$P := { 'sizeIndex': $isInt(${placement}.sizeIndex) ? (${placement}.sizeIndex < 0 ? 0 : ${placement}.sizeIndex > ${lastSize} ? ${lastSize} : ${placement}.sizeIndex) : 0, 'capacity': ${placement}.capacity = 'fallback' ? 'fallback' : 'primary' };`,
    // The Cause once: its JSON value when it is JSON the engines read, else it as it is.
    "$doc := $type($cause) = 'string' ? ($isJson($cause) ? { 'v': $parse($cause) }) : { 'v': $cause };",
    "$task := $name = 'States.TaskFailed' ? ($exists($doc) ? $parsedTask($doc.v) : ($s := $salvage($cause); $exists($s) ? $taskOf($s.sc, $s.sr, $s.cs)));",
    "$lsr := $type($task.stoppedReason) = 'string' ? $lowercase($task.stoppedReason);",
    "$lreasons := $append([], $map($task.reasons, function($r) { { 'reason': $r, 'lower': $lowercase($r) } }));",
    ...MATCHING,
    `$taskRule := function() { ${taskRule(sizes)} };`,
    `$otherRule := function() { ${otherRule(policy)} };`,
    '$cls := $exists($task) ? $taskRule();',
    '$cls := $exists($cls) ? $cls : $otherRule();',
    `$retry := $cls.retryable and $A < ${maxAttempts};`,
    '$capped := $p.waits[$A - 1];',
    `$wait := $retry ? ${policy.jitter === 'FULL' ? '($j := $floor($random() * ($capped + 1)); $j < $capped ? $j : $capped)' : '$capped'} : 0;`,
    `$rl := $exists($cls.containerReason) ? ${MAX_REASON_LENGTH / 2} : ${MAX_REASON_LENGTH};`,
    '$record := {',
    `  'attempt': $A, 'error': $trunc($name, ${MAX_NAME_LENGTH}),`,
    `  'stopCode': $exists($task.stopCode) ? $trunc($task.stopCode, ${MAX_NAME_LENGTH}),`,
    "  'stoppedReason': $exists($task.stoppedReason) ? $trunc($task.stoppedReason, $rl),",
    "  'containerReason': $exists($cls.containerReason) ? $trunc($cls.containerReason, $rl),",
    `  'exitCodes': $append([], $task.exits), 'rule': $trunc($cls.rule, ${MAX_RULE_LENGTH}), 'retryable': $cls.retryable, 'waitSeconds': $wait`,
    ...(sizes ? [",  'size': ($z := $p.sizes[$P.sizeIndex]; { 'cpu': $z.cpu, 'memoryMiB': $z.memoryMiB })"] : []),
    ...(placed ? [",  'capacity': $P.capacity"] : []),
    '};',
    '$exits := $join($map($record.exitCodes, function($x) { $x.name & \'=\' & $string($x.exitCode) }), \', \');',
    '$detail := $exists($task)',
    "  ? $join([$record.stopCode, $exists($record.stoppedReason) ? $record.stoppedReason : '(no stopped reason)'], ': ')",
    "    & ($exists($record.containerReason) ? ' (container reason: ' & $record.containerReason & ')' : '')",
    "    & ($exists($exits) ? ' (exit codes: ' & $exits & ')' : '')",
    `  : ($type($cause) = 'string' ? $trunc($cause, ${MAX_REASON_LENGTH}) : '(no cause)');`,
    `$where := ${placed ? `' [ran on ' & $P.capacity${sizes ? " & ', size ' & $string($P.sizeIndex) & ': ' & $string($record.size.cpu) & ' CPU, ' & $string($record.size.memoryMiB) & ' MiB'" : ''} & ']'` : "''"};`,
    // The history's total is bounded: the first and the latest entries whole, the rest brief.
    '$all := $append($H, [$record]);',
    '$n := $count($all);',
    `$brief := function($e) { { 'attempt': $e.attempt, 'error': $trunc($e.error, ${BRIEF_NAME_LENGTH}), 'stopCode': $exists($e.stopCode) ? $trunc($e.stopCode, ${BRIEF_NAME_LENGTH}), 'exitCodes': [], 'rule': $trunc($e.rule, ${BRIEF_RULE_LENGTH}), 'retryable': $e.retryable, 'waitSeconds': $e.waitSeconds, 'size': $e.size, 'capacity': $e.capacity, 'shortened': true } };`,
    // An entry made brief stays as it is: only the one that leaves the latest is made brief anew.
    `$hist := $n <= ${WHOLE_LATEST_ENTRIES + 1} ? $all : $append([], $map($all, function($e, $i) { ($i = 0 or $i >= $n - ${WHOLE_LATEST_ENTRIES} or $e.shortened = true) ? $e : $brief($e) }));`,
    '$decision := {',
    "  'retryable': $cls.retryable, 'retry': $retry, 'waitSeconds': $wait, 'rule': $record.rule, 'history': $hist,",
    "  'cause': 'Attempt ' & $string($A) & ' failed with ' & $record.error & ': ' & $detail & ' [rule: ' & $record.rule & ']' & $where",
    '};',
  ];
  if (placed) {
    const fallbackMatch = fallback
      ? '($exists($task) ? ($task.stopCode in $p.fallback.stopCodes or $exists($matchReasons($p.fallback.stoppedReasons))) : $matchCause($p.fallback.errorCauses) != \'\')'
      : 'false';
    lines.push(
      '$next := $retry',
      `  ? { 'sizeIndex': $cls.escalate = true ? $P.sizeIndex + 1 : $P.sizeIndex, 'capacity': ($P.capacity = 'fallback' or ${fallbackMatch}) ? 'fallback' : 'primary' }`,
      '  : $P;',
      `$merge([$decision, { 'next': ${sizes ? "$merge([$next, { 'size': $p.sizes[$next.sizeIndex] }])" : '$next'} }])`,
    );
  } else {
    lines.push('$decision');
  }
  // One line: no literal spans lines, so a line break and the indentation after it are a space.
  return `(${lines.map((line) => line.trim()).join(' ')})`.replace(/\s*\n\s*/g, ' ');
}

/** The classification of a failure that carries a stopped task, or undefined to fall through. */
function taskRule(sizes: DeciderPolicy['sizes']): string {
  const outOfMemory = sizes
    ? `$oom := ($exists($task.stoppedReason) and $isOom($task.stoppedReason)) ? {} : ($cr := $task.reasons[$isOom($)][0]; $exists($cr) ? { 'containerReason': $cr });
    $exists($oom) ? ($P.sizeIndex < ${sizes.length - 1}
      ? { 'retryable': true, 'rule': 'outOfMemory:escalate to size ' & $string($P.sizeIndex + 1), 'containerReason': $oom.containerReason, 'escalate': true }
      : { 'retryable': false, 'rule': 'outOfMemoryAtLargestSize', 'containerReason': $oom.containerReason }) :`
    : '';
  return `(
    $permanent := $matchReasons($p.nonRetryableStoppedReasons);
    $exists($permanent) ? { 'retryable': false, 'rule': 'nonRetryableStoppedReason:' & $permanent.pattern, 'containerReason': $permanent.containerReason } : (
    ${outOfMemory}
    $task.stopCode in $p.retryableStopCodes ? { 'retryable': true, 'rule': 'retryableStopCode:' & $task.stopCode } : (
    $transient := $matchReasons($p.retryableStoppedReasons);
    $exists($transient) ? { 'retryable': true, 'rule': 'retryableStoppedReason:' & $transient.pattern, 'containerReason': $transient.containerReason } : (
    $exit := $task.exits[exitCode in $p.retryableExitCodes][0];
    $exists($exit) ? { 'retryable': true, 'rule': 'retryableExitCode:' & $string($exit.exitCode) })))
  )`;
}

/** The classification by error name and cause, after a stopped task matched no rule. */
function otherRule(policy: DeciderPolicy): string {
  const causeRule = policy.nonRetryableErrorCauses.length > 0
    ? `$permanent := $not($exists($task)) ? $matchCause($p.nonRetryableErrorCauses) : '';
    $permanent != '' ? { 'retryable': false, 'rule': 'nonRetryableErrorCause:' & $permanent } :`
    : '';
  return `(
    ${causeRule}
    $name in $p.retryableErrors ? { 'retryable': true, 'rule': 'retryableError:' & $trunc($name, ${MAX_NAME_LENGTH}) }
    : $exists($task) ? { 'retryable': false, 'rule': 'noRetryableMatch' }
    : $name = 'States.TaskFailed' ? { 'retryable': false, 'rule': 'unparseableCause' }
    : { 'retryable': false, 'rule': 'errorNotRetryable:' & $trunc($name, ${MAX_NAME_LENGTH}) }
  )`;
}

/**
 * A JSON document as a JSONata string literal for `$parse`: single-quoted, so that its double
 * quotes stay as they are, with `\`, `'` and `%` escaped (no `%}` may end the expression).
 */
function documentLiteral(value: unknown): string {
  const json = JSON.stringify(value, (_, v) => requireResolved(v));
  return `'${json.replace(/\\/g, '\\\\').replace(/'/g, '\\u0027').replace(/%/g, '\\u0025')}'`;
}

function requireResolved<T>(value: T): T {
  if (Token.isUnresolved(value)) {
    throw new Error(
      `\`decisionEngine\` DecisionEngine.STATE_MACHINE compiles the retry policy into the state machine at synth time, so every policy value must be known then, got a token: ${String(value)}. Use DecisionEngine.LAMBDA_FUNCTION for policies given as tokens.`,
    );
  }
  return value;
}

/** A regex source of `cause-syntax.ts` as a JSONata regex literal. */
function re(source: string): string {
  return `/${source}/`;
}

/**
 * Reading the Cause: JSON by `JsonSyntax`, what survives of a Cause cut short by
 * `CutCauseSyntax`, and the stopped task, each as `lambda/json-text.ts`,
 * `lambda/truncated-cause.ts` and `lambda/decide-retry.ts` read it.
 */
export const READING_FUNCTIONS = [
  "$isInt := function($n) { $type($n) = 'number' and $n <= 1.7976931348623157e308 and $n >= -1.7976931348623157e308 and $n = $floor($n) };",
  '$trunc := function($t, $max) { $length($t) <= $max ? $t : (',
  "  $marker := '…[' & $string($length($t) - $max) & ' chars cut]…';",
  '  $keep := $max - $length($marker); $keep := $keep < 0 ? 0 : $keep; $head := $ceil($keep / 2);',
  '  $substring($t, 0, $head) & $marker & $substring($t, $length($t) - ($keep - $head))',
  ') };',
  '$isJson := function($s) { (',
  `  ($contains($s, ${re(JsonSyntax.OPENS)}) and $not($contains($s, ${re(JsonSyntax.CLOSES)}))) ? false : (`,
  `    $t := $replace($s, ${re(JsonSyntax.STRING)}, '${JsonSyntax.STRING_REPLACEMENT}');`,
  '    $contains($t, \'"\') ? false : (',
  `      $t := $replace($replace($t, ${re(JsonSyntax.SCALAR)}, '#'), ${re(JsonSyntax.WHITESPACE)}, '');`,
  `      $contains($t, ${re(JsonSyntax.NOT_SKELETON)}) ? false : (`,
  `        $t := $reduce([1..${MAX_JSON_DEPTH}], function($a, $i) { ($a = '#' or $a = '~') ? $a : $replace($a, ${re(JsonSyntax.COLLAPSE)}, '#') }, $t);`,
  "        $t = '~' or $t = '#'",
  '      )',
  '    )',
  '  )',
  ') };',
  // The body of a JSON string, decoded when it is valid, else kept as it is.
  `$text := function($raw) { $contains($raw, ${re(JsonSyntax.STRING_BODY)}) ? $parse('"' & $raw & '"') : $raw };`,
  // The first "key": "value" of a Cause cut short; an unterminated value is marked as cut.
  '$str := function($s, $re) { (',
  '  $m := $match($s, $re, 1);',
  `  $exists($m) ? ($m.groups[1] = '"' ? $text($m.groups[0]) : $text($replace($m.groups[0], ${re(CutCauseSyntax.PARTIAL_ESCAPE)}, '')) & '${CUT_MARKER}')`,
  ') };',
  '$salvage := function($s) { (',
  `  $contains($s, ${re(CutCauseSyntax.OBJECT_START)}) ? (`,
  `    $sc := $str($s, ${re(CutCauseSyntax.STOP_CODE)});`,
  `    $sr := $str($s, ${re(CutCauseSyntax.STOPPED_REASON)});`,
  `    $b := $match($match($s, ${re(CutCauseSyntax.CONTAINERS_START)}, 1).groups[0], ${re(CutCauseSyntax.CONTAINERS)}, 1).match;`,
  "    $cs := ($exists($b) and $isJson($b)) ? ($v := $parse($b); $type($v) = 'array' ? $v);",
  "    ($exists($sc) or $exists($sr) or $exists($cs)) ? { 'sc': $sc, 'sr': $sr, 'cs': $cs }",
  '  )',
  ') };',
  // The first containers only: `$zip` stops at the shorter list, natively, whatever the Cause holds.
  `$firstOf := function($xs) { $type($xs) = 'array' ? $zip($xs, [1..${MAX_READ_CONTAINERS}]) : [] };`,
  '$taskOf := function($sc, $sr, $cs) { (',
  "  $read := $map($firstOf($cs), function($p) { ($c := $p[0]; $type($c) = 'object' ? {",
  "    'r': ($type($c.Reason) = 'string' and $c.Reason != '') ? $c.Reason,",
  `    'e': $isInt($c.ExitCode) ? { 'name': $trunc($type($c.Name) = 'string' ? $c.Name : '', ${MAX_CONTAINER_NAME_LENGTH}), 'exitCode': $c.ExitCode }`,
  '  }) });',
  "  { 'stopCode': $sc, 'stoppedReason': $sr, 'reasons': $append([], $read.r), 'exits': $append([], $read.e) }",
  ') };',
  "$parsedTask := function($v) { $type($v) = 'object' ? (",
  "  $sc := $type($v.StopCode) = 'string' ? $v.StopCode;",
  "  $sr := $type($v.StoppedReason) = 'string' ? $v.StoppedReason;",
  "  ($exists($sc) or $exists($sr) or $type($v.Containers) = 'array' or $type($v.TaskArn) = 'string') ? $taskOf($sc, $sr, $v.Containers)",
  ') };',
  // The texts a cause pattern is matched against: RunTask's Failures[].Reason and .Detail, else the Cause.
  '$causeTexts := function() { (',
  "  $v := $doc.v; $f := $type($v) = 'object' ? (($exists($v.Failures) and $type($v.Failures) != 'null') ? $v.Failures : $v.failures);",
  "  $type($f) = 'array'",
  "    ? $reduce($map($firstOf($f), function($p) { ($x := $p[0]; $type($x) = 'object' ? $map(['Reason', 'reason', 'Detail', 'detail'], function($k) { ($y := $lookup($x, $k); $type($y) = 'string' ? $y) })) }), function($a, $b) { $append($a, $b) }, [])",
  "    : ($type($cause) = 'string' ? [$cause] : [])",
  ') };',
];

/**
 * `globMatches` of `lambda/glob.ts` with string functions, which search natively: `$glob($t, $s)`
 * says whether the lowercased text `$t` matches the glob whose lowercased parts between stars are
 * `$s` (`$parts($g)`). The head must start the text, each middle part is found at its earliest
 * place after the last, and the tail must end what is left. "`$r` ends with `$e`" is "`$e & $r`
 * occurs in `$r & $r`", which holds exactly when it does and needs no index arithmetic (JSONata
 * counts code points, `globMatches` UTF-16 code units).
 */
export const GLOB_FUNCTION = [
  "$parts := function($g) { $split($lowercase($g), '*') };",
  '$glob := function($t, $s) { (',
  '  $n := $count($s);',
  '  $n = 1 ? $t = $s[0] : (',
  '    $h := $s[0];',
  "    ($h = '' or ($t != '' and $substringBefore($t, $h) = '')) and (",
  '      $r := $reduce($s, function($a, $x, $i) { ($exists($a) and $i > 0 and $i < $n - 1) ? ($contains($a, $x) ? $substringAfter($a, $x)) : $a }, $substringAfter($t, $h));',
  "      $e := $s[-1]; $exists($r) and ($e = '' or $contains($r & $r, $e & $r))",
  '    )',
  '  )',
  ') };',
  // Whether every part occurs somewhere in `$all`, all the texts joined: without that no text
  // matches, and the texts need not be tried one by one. Most patterns stop here.
  '$maybe := function($all, $s) { $not($exists($s[$not($contains($all, $))])) };',
];

/** Glob matching over the stopped task's reasons and the cause texts, in policy order. */
const MATCHING = [
  "$isOom := function($r) { $lowercase($substring($r, 0, 16)) = 'outofmemoryerror' };",
  ...GLOB_FUNCTION,
  // The first pattern, in policy order, that matches the stopped reason or else a container's reason.
  "$allReasons := $join($append($exists($lsr) ? [$lsr] : [], $lreasons.lower), '\\n');",
  '$matchReasons := function($gs) { (',
  '  $hit := $reduce($gs, function($hit, $g) { $exists($hit.pattern) ? $hit : ($s := $parts($g); $maybe($allReasons, $s) ? (',
  "    ($exists($lsr) and $glob($lsr, $s)) ? { 'pattern': $g } : (",
  "      $cr := $filter($lreasons, function($r) { $glob($r.lower, $s) })[0].reason; $exists($cr) ? { 'pattern': $g, 'containerReason': $cr } : {})",
  '  ) : {}) }, {});',
  '  $exists($hit.pattern) ? $hit',
  ') };',
  // The first pattern that matches any of the cause texts, or ''.
  '$matchCause := function($gs) { (',
  '  $texts := $map($causeTexts(), function($t) { $lowercase($t) });',
  "  $joined := $join($texts, '\\n');",
  "  $reduce($gs, function($hit, $g) { $hit != '' ? $hit : ($s := $parts($g); ($maybe($joined, $s) and $exists($texts[$glob($, $s)])) ? $g : '') }, '')",
  ') };',
];
