"""Runs MiniStack, as ``python -m ministack`` does, with two details in its execution histories
that AWS records and MiniStack 1.5.33 leaves out, so that the tests can check Step Functions'
limits on them (test/support/execution-limits.ts):

- ``taskScheduledEventDetails.parameters``: the JSON a Task state called its resource with, after
  ``Parameters`` (JSONPath) or ``Arguments`` (JSONata);
- ``stateExitedEventDetails.assignedVariables``: each variable the state assigned (its own
  ``Assign``, a Choice rule's or a Catch entry's), name to JSON value, with
  ``assignedVariablesDetails``; only when it assigned any.

Nothing else changes: the states run as MiniStack runs them. This wraps private functions of
MiniStack's Step Functions module and stops at start when one is missing (after an upgrade of the
lock file), rather than record less. MiniStack records no state events inside a Map or Parallel
state, so variables assigned there are not shown; their tasks' events are.
"""

import json
import os
import sys
import threading

# The directory of this file is first on sys.path; nothing here should shadow a module MiniStack imports.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

from ministack.services import stepfunctions as sfn  # noqa: E402

WRAPPED = ("_add_event", "_apply_state_assign", "_apply_parameters", "_apply_jsonata_arguments", "_state_query_language")

# Per thread: MiniStack runs each execution, Map item and Parallel branch in a thread of its own,
# and a state's events come from the thread that ran it.
_state = threading.local()


def _json(value):
    """Compact JSON in UTF-8, as Step Functions writes a history."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def install():
    missing = [name for name in WRAPPED if not callable(getattr(sfn, name, None))]
    if missing:
        raise SystemExit(f"test/ministack/ministack_server.py: MiniStack's stepfunctions module has no {', '.join(missing)}; "
                         "adapt the wrappers to the MiniStack version in test/ministack/requirements.txt")

    add_event = sfn._add_event
    apply_state_assign = sfn._apply_state_assign
    apply_parameters = sfn._apply_parameters
    apply_jsonata_arguments = sfn._apply_jsonata_arguments

    def _add_event(execution, event_type, details=None):
        if event_type.endswith("StateEntered"):
            _state.assigned = {}
        elif event_type.endswith("StateExited") and details and "stateExitedEventDetails" in details:
            assigned = getattr(_state, "assigned", None)
            _state.assigned = {}
            if assigned:
                details["stateExitedEventDetails"]["assignedVariables"] = assigned
                details["stateExitedEventDetails"]["assignedVariablesDetails"] = {"truncated": False}
        elif event_type == "TaskScheduled" and details and hasattr(_state, "parameters"):
            details["taskScheduledEventDetails"]["parameters"] = _json(_state.parameters)
        return add_event(execution, event_type, details)

    def _apply_state_assign(state_def, raw_input, ctx, result=None, error_output=None):
        apply_state_assign(state_def, raw_input, ctx, result=result, error_output=error_output)
        assign = state_def.get("Assign")
        if ctx is None or not isinstance(assign, dict) or sfn._state_query_language(state_def, ctx) != "JSONata":
            return
        variables = ctx.get("variables", {})
        assigned = getattr(_state, "assigned", None) or {}
        assigned.update({name: _json(variables[name]) for name in assign if name in variables})
        _state.assigned = assigned

    def _apply_parameters(state_def, data, ctx=None):
        _state.parameters = apply_parameters(state_def, data, ctx)
        return _state.parameters

    def _apply_jsonata_arguments(state_def, raw_input, ctx=None):
        _state.parameters = apply_jsonata_arguments(state_def, raw_input, ctx)
        return _state.parameters

    sfn._add_event = _add_event
    sfn._apply_state_assign = _apply_state_assign
    sfn._apply_parameters = _apply_parameters
    sfn._apply_jsonata_arguments = _apply_jsonata_arguments


if __name__ == "__main__":
    install()
    from ministack.app import main  # noqa: E402

    main()
