"""Evaluates JSONata expressions with MiniStack's engine: jsonata-python, with the functions Step
Functions adds registered exactly as MiniStack registers them for its state machines.

Reads a JSON array of cases from standard input, each
  {"expression": str, "states": object, "variables": object, "random": number}
and writes a JSON array of results, each {"value": ...} or {"error": str}. `random` pins
`$random()`, so that a test can compare with the Lambda decider's answer for the same jitter.
With `--timed`, each result also has "seconds", the time its evaluation took (the bench reads it).
"""
import json
import sys
import time

import jsonata
from ministack.services import stepfunctions


def evaluate(case, compiled):
    expression = compiled.get(case["expression"])
    if expression is None:
        expression = jsonata.Jsonata(case["expression"])
        stepfunctions._register_sfn_jsonata_functions(expression)
        compiled[case["expression"]] = expression
    random = case.get("random", 0)
    expression.register_lambda("random", lambda seed=None: random)
    frame = expression.create_frame()
    frame.bind("states", case["states"])
    for name, value in case.get("variables", {}).items():
        frame.bind(name, value)
    return expression.evaluate(None, frame)


def main():
    timed = "--timed" in sys.argv[1:]
    cases = json.load(sys.stdin)
    compiled = {}
    results = []
    for case in cases:
        started = time.perf_counter()
        try:
            result = {"value": evaluate(case, compiled)}
        except Exception as error:  # the test reports any evaluation error as a failure
            result = {"error": f"{type(error).__name__}: {error}"}
        if timed:
            result["seconds"] = time.perf_counter() - started
        results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
