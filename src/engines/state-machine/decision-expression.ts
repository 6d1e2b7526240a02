import { Token } from 'aws-cdk-lib';
import { compactJsonata } from './compact-jsonata';
import {
  CUT_CONTAINERS, CUT_CONTAINERS_START, CUT_MARKER, CUT_OBJECT_START, CUT_PARTIAL_ESCAPE, CUT_STOP_CODE, CUT_STOPPED_REASON, JSON_COLLAPSE,
  JSON_NOT_SKELETON, JSON_SCALAR, JSON_STRING, JSON_STRING_REPLACEMENT, JSON_UNCLOSED, JSON_WHITESPACE, MAX_JSON_DEPTH,
} from '../../decider/cause-syntax';
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
  /** The policy the decision reads: `policyDocument(policy)`, set when the run starts. */
  readonly policy: string;
  /** What each launch target adds to the RunTask request (runs with a fallback launch target only). */
  readonly launchTargets: string;
}

/**
 * The run's rendered policy as data, with what the decision expression reads of it at run time:
 * the lists, the jitter-free wait after each attempt (`waits`, computed by the decider's own
 * `backoffSeconds`), and the size ladder and fallback rules when the run has them. The run's
 * first state assigns it to the run's policy variable, where a reader of the definition (and
 * `explain --template`) finds the whole policy; the expression has the numbers written into it.
 * As data, the lists cost the expression no length and no evaluation depth: JSONata evaluates the
 * items of an array constructor side by side.
 */
export function policyDocument(policy: DeciderPolicy): Record<string, unknown> {
  const sizes = policy.sizes && policy.sizes.length >= 2 ? policy.sizes : undefined;
  const document = {
    maxAttempts: policy.maxAttempts,
    intervalSeconds: policy.intervalSeconds,
    backoffRate: policy.backoffRate,
    maxDelaySeconds: policy.maxDelaySeconds,
    jitter: policy.jitter,
    retryableStopCodes: policy.retryableStopCodes,
    retryableStoppedReasons: policy.retryableStoppedReasons,
    nonRetryableStoppedReasons: policy.nonRetryableStoppedReasons,
    retryableExitCodes: policy.retryableExitCodes,
    retryableErrors: policy.retryableErrors,
    nonRetryableErrorCauses: policy.nonRetryableErrorCauses,
    waits: backoffSchedule(policy),
    ...(sizes ? { sizes } : {}),
    ...(policy.fallback ? { fallback: policy.fallback } : {}),
  };
  return JSON.parse(JSON.stringify(document, (_, value) => requireResolved(value)));
}

/**
 * A JSONata expression (without `{% %}`) that evaluates, in the Catch of the ECS task state, to
 * the `Decision` that the Lambda decider's `decideRetry` returns for `$states.errorOutput`, the
 * run's variables, and `$random()` as its `random`.
 *
 * The policy's lists and waits are data in the run's policy variable (`policyDocument`); its
 * numbers are written into the expression. Everything else mirrors `src/decider/decide-retry.ts` (and its modules) step
 * by step, with the same rule names and the same history, and the differential tests hold the
 * two to the same answers. The expression is written compactly (`compactJsonata`).
 *
 * Bounded, whatever the Cause (README, "Limits"):
 * - It never raises an evaluation error: JSONata has no try/catch, and an error in a Catch's Output
 *   fails the execution with `States.QueryEvaluationError`. `$parse` reads only text that
 *   `JSON_*` syntax accepted, and every function is applied only to values of the type it takes.
 * - Its work is linear in the Cause with small constants: the Cause is read by a fixed number of
 *   native passes of linear regular expressions (`cause-syntax.ts`), and the expression's own
 *   steps run over at most 10 containers, 10 RunTask failures and the policy's lists, never over
 *   the Cause's characters or tokens.
 * - Its evaluation depth does not grow with the policy: the lists are data, never constructors,
 *   and globs are matched with string functions instead of a list of regexes.
 */
export function renderDecisionExpression(policy: DeciderPolicy, vars: EngineVariables): string {
  const sizes = policy.sizes && policy.sizes.length >= 2 ? policy.sizes : undefined;
  const fallback = policy.fallback;
  const placed = sizes !== undefined || fallback !== undefined;
  const maxAttempts = requireResolved(policy.maxAttempts);
  const lastSize = sizes ? sizes.length - 1 : 0;
  // Each variable read once, into a local name that the compact form shortens.
  const attempt = '$attemptVar';
  const history = '$historyVar';
  const placement = '$placementVar';
  const p = '$policy';
  // Cause patterns are matched only for failures without a task: for the non-retryable causes, and the fallback's.
  const causePatterns = policy.nonRetryableErrorCauses.length > 0 || (fallback?.errorCauses.length ?? 0) > 0;

  const lines = [
    `${attempt} := $${vars.attempt}; ${history} := $${vars.history}; ${p} := $${vars.policy};`,
    ...(placed ? [`${placement} := $${vars.placement};`] : []),
    ...READING_FUNCTIONS,
    '$failure := $states.errorOutput;',
    "$name := $isStr($failure.Error) ? $failure.Error : 'Unknown';",
    '$cause := $failure.Cause;',
    `$A := ($isInt(${attempt}) and ${attempt} >= 1) ? ${attempt} : ${maxAttempts};`,
    `$H := $type(${history}) = 'array' ? $filter(${history}, function($v, $i, $a) { $i >= $count($a) - ${maxAttempts - 1} }) : [];`,
    ...(placed
      ? [`$P := { 'sizeIndex': $isInt(${placement}.sizeIndex) ? (${placement}.sizeIndex < 0 ? 0 : ${placement}.sizeIndex > ${lastSize} ? ${lastSize} : ${placement}.sizeIndex) : 0, 'capacity': ${placement}.capacity = 'fallback' ? 'fallback' : 'primary' };`]
      : []),
    // The Cause once: its JSON value when it is JSON the engines read, else it as it is.
    "$doc := $isStr($cause) ? ($isJson($cause) ? { 'v': $parse($cause) }) : { 'v': $cause };",
    "$taskFailed := $name = 'States.TaskFailed';",
    '$task := $taskFailed ? ($exists($doc) ? $parsedTask($doc.v) : ($s := $salvage($cause); $exists($s) ? $taskOf($s.sc, $s.sr, $s.cs)));',
    '$lsr := $isStr($task.sr) ? $lowercase($task.sr);',
    "$lreasons := $append([], $map($task.rs, function($r) { { 'r': $r, 'l': $lowercase($r) } }));",
    "$rule := function($ok, $name, $cr) { { 'ok': $ok, 'rule': $name, 'cr': $cr } };",
    ...(causePatterns ? CAUSE_TEXTS : []),
    ...matching(sizes !== undefined, causePatterns),
    `$taskRule := function() { ${taskRule(p, sizes)} };`,
    `$otherRule := function() { ${otherRule(p, policy)} };`,
    '$cls := $exists($task) ? $taskRule();',
    '$cls := $exists($cls) ? $cls : $otherRule();',
    `$retry := $cls.ok and $A < ${maxAttempts};`,
    `$capped := ${p}.waits[$A - 1];`,
    `$wait := $retry ? ${policy.jitter === 'FULL' ? '($j := $floor($random() * ($capped + 1)); $j < $capped ? $j : $capped)' : '$capped'} : 0;`,
    `$rl := $exists($cls.cr) ? ${MAX_REASON_LENGTH / 2} : ${MAX_REASON_LENGTH};`,
    '$record := {',
    `  'attempt': $A, 'error': $trunc($name, ${MAX_NAME_LENGTH}),`,
    `  'stopCode': $trunc($task.sc, ${MAX_NAME_LENGTH}),`,
    "  'stoppedReason': $trunc($task.sr, $rl),",
    "  'containerReason': $trunc($cls.cr, $rl),",
    `  'exitCodes': $append([], $task.ex), 'rule': $trunc($cls.rule, ${MAX_RULE_LENGTH}), 'retryable': $cls.ok, 'waitSeconds': $wait`,
    ...(sizes ? [`,  'size': ($z := ${p}.sizes[$P.sizeIndex]; { 'cpu': $z.cpu, 'memoryMiB': $z.memoryMiB })`] : []),
    ...(placed ? [",  'capacity': $P.capacity"] : []),
    '};',
    '$exits := $join($map($record.exitCodes, function($x) { $x.name & \'=\' & $string($x.exitCode) }), \', \');',
    '$detail := $exists($task)',
    "  ? $join([$record.stopCode, $exists($record.stoppedReason) ? $record.stoppedReason : '(no stopped reason)'], ': ')",
    "    & ($exists($record.containerReason) ? ' (container reason: ' & $record.containerReason & ')' : '')",
    "    & ($exists($exits) ? ' (exit codes: ' & $exits & ')' : '')",
    `  : ($isStr($cause) ? $trunc($cause, ${MAX_REASON_LENGTH}) : '(no cause)');`,
    // The history's total is bounded: the first and the latest entries whole, the rest brief.
    '$all := $append($H, [$record]);',
    '$n := $count($all);',
    `$brief := function($e) { { 'attempt': $e.attempt, 'error': $trunc($e.error, ${BRIEF_NAME_LENGTH}), 'stopCode': $trunc($e.stopCode, ${BRIEF_NAME_LENGTH}), 'exitCodes': [], 'rule': $trunc($e.rule, ${BRIEF_RULE_LENGTH}), 'retryable': $e.retryable, 'waitSeconds': $e.waitSeconds${placed ? ", 'size': $e.size, 'capacity': $e.capacity" : ''}, 'shortened': true } };`,
    // An entry made brief stays as it is: only the one that leaves the latest is made brief anew.
    `$hist := $n <= ${WHOLE_LATEST_ENTRIES + 1} ? $all : $append([], $map($all, function($e, $i) { ($i = 0 or $i >= $n - ${WHOLE_LATEST_ENTRIES} or $e.shortened = true) ? $e : $brief($e) }));`,
    '$decision := {',
    "  'retryable': $cls.ok, 'retry': $retry, 'waitSeconds': $wait, 'rule': $record.rule, 'history': $hist,",
    "  'cause': 'Attempt ' & $string($A) & ' failed with ' & $record.error & ': ' & $detail & ' [rule: ' & $record.rule & ']'",
    ...(placed
      ? [`    & ' [ran on ' & $P.capacity${sizes ? " & ', size ' & $string($P.sizeIndex) & ': ' & $string($record.size.cpu) & ' CPU, ' & $string($record.size.memoryMiB) & ' MiB'" : ''} & ']'`]
      : []),
    '};',
  ];
  if (placed) {
    const fallbackMatch = fallback
      ? `($exists($task) ? ($task.sc in ${p}.fallback.stopCodes or $exists($matchReasons(${p}.fallback.stoppedReasons))) : ${fallback.errorCauses.length > 0 ? `$matchCause(${p}.fallback.errorCauses) != ''` : 'false'})`
      : 'false';
    lines.push(
      '$next := $retry',
      `  ? { 'sizeIndex': $cls.up = true ? $P.sizeIndex + 1 : $P.sizeIndex, 'capacity': ($P.capacity = 'fallback' or ${fallbackMatch}) ? 'fallback' : 'primary' }`,
      '  : $P;',
      `$merge([$decision, { 'next': ${sizes ? `$merge([$next, { 'size': ${p}.sizes[$next.sizeIndex] }])` : '$next'} }])`,
    );
  } else {
    lines.push('$decision');
  }
  // Compact: no optional whitespace, and short names for the expression's own variables.
  return compactJsonata(`(${lines.join('\n')})`, [vars.attempt, vars.history, vars.placement, vars.policy]);
}

/**
 * The classification of a failure that carries a stopped task, or undefined to fall through.
 * A classification is `$rule(retryable, rule, containerReason)`: `{ ok, rule, cr }`, and `up`
 * when the next attempt runs one size up.
 */
function taskRule(p: string, sizes: DeciderPolicy['sizes']): string {
  const outOfMemory = sizes
    ? `$oom := ($exists($task.sr) and $isOom($task.sr)) ? {} : ($cr := $task.rs[$isOom($)][0]; $exists($cr) ? { 'c': $cr });
    $exists($oom) ? ($P.sizeIndex < ${sizes.length - 1}
      ? $merge([$rule(true, 'outOfMemory:escalate to size ' & $string($P.sizeIndex + 1), $oom.c), { 'up': true }])
      : $rule(false, 'outOfMemoryAtLargestSize', $oom.c)) :`
    : '';
  return `(
    $permanent := $matchReasons(${p}.nonRetryableStoppedReasons);
    $exists($permanent) ? $rule(false, 'nonRetryableStoppedReason:' & $permanent.p, $permanent.c) : (
    ${outOfMemory}
    $task.sc in ${p}.retryableStopCodes ? $rule(true, 'retryableStopCode:' & $task.sc) : (
    $transient := $matchReasons(${p}.retryableStoppedReasons);
    $exists($transient) ? $rule(true, 'retryableStoppedReason:' & $transient.p, $transient.c) : (
    $exit := $task.ex[exitCode in ${p}.retryableExitCodes][0];
    $exists($exit) ? $rule(true, 'retryableExitCode:' & $string($exit.exitCode)))))
  )`;
}

/** The classification by error name and cause, after a stopped task matched no rule. */
function otherRule(p: string, policy: DeciderPolicy): string {
  const causeRule = policy.nonRetryableErrorCauses.length > 0
    ? `$permanent := $not($exists($task)) ? $matchCause(${p}.nonRetryableErrorCauses) : '';
    $permanent != '' ? $rule(false, 'nonRetryableErrorCause:' & $permanent) :`
    : '';
  return `(
    ${causeRule}
    $name in ${p}.retryableErrors ? $rule(true, 'retryableError:' & $trunc($name, ${MAX_NAME_LENGTH}))
    : $exists($task) ? $rule(false, 'noRetryableMatch')
    : $taskFailed ? $rule(false, 'unparseableCause')
    : $rule(false, 'errorNotRetryable:' & $trunc($name, ${MAX_NAME_LENGTH}))
  )`;
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
 * Reading the Cause: JSON by the `JSON_*` sources, what survives of a Cause cut short by the
 * `CUT_*` ones, and the stopped task, each as `src/decider/json-text.ts`,
 * `src/decider/truncated-cause.ts` and `src/decider/stopped-task.ts` read it.
 */
export const READING_FUNCTIONS = [
  // JSON holds no infinite numbers, so a number equal to its floor is an integer.
  "$isInt := function($n) { $type($n) = 'number' and $n = $floor($n) };",
  "$isStr := function($x) { $type($x) = 'string' };",
  // Undefined in, undefined out: a comparison with nothing is false.
  '$trunc := function($t, $limit) { $length($t) > $limit ? (',
  "  $marker := '…[' & $string($length($t) - $limit) & ' chars cut]…';",
  '  $keep := $limit - $length($marker); $keep := $keep < 0 ? 0 : $keep; $head := $ceil($keep / 2);',
  '  $substring($t, 0, $head) & $marker & $substring($t, $length($t) - ($keep - $head))',
  ') : $t };',
  `$stringRe := ${re(JSON_STRING)};`,
  '$isJson := function($s) { (',
  `  $contains($s, ${re(JSON_UNCLOSED)}) ? false : (`,
  `    $t := $replace($s, $stringRe, '${JSON_STRING_REPLACEMENT}');`,
  '    $contains($t, \'"\') ? false : (',
  `      $t := $replace($replace($t, ${re(JSON_SCALAR)}, '#'), ${re(JSON_WHITESPACE)}, '');`,
  `      $contains($t, ${re(JSON_NOT_SKELETON)}) ? false : (`,
  `        $t := $reduce([1..${MAX_JSON_DEPTH}], function($a, $i) { ($a = '#' or $a = '~') ? $a : $replace($a, ${re(JSON_COLLAPSE)}, '#') }, $t);`,
  "        $t = '~' or $t = '#'",
  '      )',
  '    )',
  '  )',
  ') };',
  // The body of a JSON string, decoded when it is valid (as a string, it is one valid string), else kept as it is.
  `$text := function($raw) { $replace('"' & $raw & '"', $stringRe, '${JSON_STRING_REPLACEMENT}') = '~' ? $parse('"' & $raw & '"') : $raw };`,
  // The first "key": "value" of a Cause cut short; an unterminated value is marked as cut.
  '$str := function($s, $re) { (',
  '  $m := $match($s, $re, 1);',
  `  $exists($m) ? ($m.groups[1] = '"' ? $text($m.groups[0]) : $text($replace($m.groups[0], ${re(CUT_PARTIAL_ESCAPE)}, '')) & '${CUT_MARKER}')`,
  ') };',
  '$salvage := function($s) { (',
  `  $contains($s, ${re(CUT_OBJECT_START)}) ? (`,
  `    $sc := $str($s, ${re(CUT_STOP_CODE)});`,
  `    $sr := $str($s, ${re(CUT_STOPPED_REASON)});`,
  `    $b := $match($match($s, ${re(CUT_CONTAINERS_START)}, 1).groups[0], ${re(CUT_CONTAINERS)}, 1).match;`,
  "    $cs := ($exists($b) and $isJson($b)) ? ($v := $parse($b); $type($v) = 'array' ? $v);",
  "    ($exists($sc) or $exists($sr) or $exists($cs)) ? { 'sc': $sc, 'sr': $sr, 'cs': $cs }",
  '  )',
  ') };',
  // The first containers only: `$zip` stops at the shorter list, natively, whatever the Cause holds.
  `$firstOf := function($xs) { $type($xs) = 'array' ? $zip($xs, [1..${MAX_READ_CONTAINERS}]) : [] };`,
  '$taskOf := function($sc, $sr, $cs) { (',
  "  $read := $map($firstOf($cs), function($p) { ($c := $p[0]; $type($c) = 'object' ? {",
  "    'r': ($isStr($c.Reason) and $c.Reason != '') ? $c.Reason,",
  `    'e': $isInt($c.ExitCode) ? { 'name': $trunc($isStr($c.Name) ? $c.Name : '', ${MAX_CONTAINER_NAME_LENGTH}), 'exitCode': $c.ExitCode }`,
  '  }) });',
  // The stopped task, as the decider's `StoppedTask`: stop code, stopped reason, container reasons, exits.
  "  { 'sc': $sc, 'sr': $sr, 'rs': $append([], $read.r), 'ex': $append([], $read.e) }",
  ') };',
  "$parsedTask := function($v) { $type($v) = 'object' ? (",
  '  $sc := $isStr($v.StopCode) ? $v.StopCode;',
  '  $sr := $isStr($v.StoppedReason) ? $v.StoppedReason;',
  "  ($exists($sc) or $exists($sr) or $type($v.Containers) = 'array' or $isStr($v.TaskArn)) ? $taskOf($sc, $sr, $v.Containers)",
  ') };',
];

/** The texts a cause pattern is matched against: RunTask's Failures[].Reason and .Detail, else the Cause. */
const CAUSE_TEXTS = [
  '$causeTexts := function() { (',
  "  $v := $doc.v; $f := $type($v) = 'object' ? (($exists($v.Failures) and $type($v.Failures) != 'null') ? $v.Failures : $v.failures);",
  "  $type($f) = 'array'",
  "    ? $reduce($map($firstOf($f), function($q) { ($x := $q[0]; $type($x) = 'object' ? $map(['Reason', 'reason', 'Detail', 'detail'], function($k) { ($y := $lookup($x, $k); $isStr($y) ? $y) })) }), function($a, $b) { $append($a, $b) }, [])",
  '    : ($isStr($cause) ? [$cause] : [])',
  ') };',
];

/**
 * `globMatches` of `src/decider/glob.ts` with string functions, which search natively: `$glob($t, $s)`
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

/**
 * Glob matching over the stopped task's reasons and, when the policy has cause patterns
 * (`causes`), the cause texts, in policy order; the out-of-memory check with a size ladder.
 */
function matching(sizes: boolean, causes: boolean): string[] {
  return [
    ...(sizes ? ["$isOom := function($r) { $lowercase($substring($r, 0, 16)) = 'outofmemoryerror' };"] : []),
    ...GLOB_FUNCTION,
    // The first pattern, in policy order, that matches the stopped reason or else a container's reason.
    // An array constructor leaves out what is undefined: a stopped task without a stopped reason, or without container reasons.
    "$allReasons := $join([$lsr, $lreasons.l], '\\n');",
    '$matchReasons := function($gs) { (',
    // A hit is `{ p: the pattern, c: the container reason it matched, if not the stopped reason }`.
    '  $hit := $reduce($gs, function($hit, $g) { $exists($hit.p) ? $hit : ($s := $parts($g); $maybe($allReasons, $s) ? (',
    "    ($exists($lsr) and $glob($lsr, $s)) ? { 'p': $g } : (",
    "      $cr := $filter($lreasons, function($r) { $glob($r.l, $s) })[0].r; $exists($cr) ? { 'p': $g, 'c': $cr } : {})",
    '  ) : {}) }, {});',
    '  $exists($hit.p) ? $hit',
    ') };',
    // The first pattern that matches any of the cause texts, or ''.
    ...(causes ? [
      '$matchCause := function($gs) { (',
      '  $texts := $map($causeTexts(), function($t) { $lowercase($t) });',
      "  $joined := $join($texts, '\\n');",
      "  $reduce($gs, function($hit, $g) { $hit != '' ? $hit : ($s := $parts($g); ($maybe($joined, $s) and $exists($texts[$glob($, $s)])) ? $g : '') }, '')",
      ') };',
    ] : []),
  ];
}
