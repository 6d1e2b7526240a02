"""Drives MiniStack through the AWS SDK for the MiniStack execution tests.

Reads one JSON request on stdin and writes one JSON answer on stdout:

- ``{"command": "deploy", "functions": [{"name", "bundleDir", "handler", "runtime"}],
  "stateMachine": {"name", "definition"}}``: creates the Lambda functions from their bundle
  directories and the state machine; answers ``{"stateMachineArn"}``.
- ``{"command": "execute", "stateMachineArn", "executions": [{"testCase", "input"}], "timeoutSeconds"}``:
  starts one execution per entry with its mock test case (``<arn>#<TestCase>``, the way Step
  Functions Local and LocalStack select one), waits for all to end, and answers
  ``{"executions": [{"status", "output", "error", "cause", "events"}]}``, in order, each with its
  full execution history. One process for many executions: creating a botocore client takes most
  of a second.

The endpoint and the dummy credentials come from the environment. It uses botocore, the AWS SDK
core under boto3, which MiniStack's own lock file already pins.
"""

import io
import json
import os
import sys
import time
import zipfile

import botocore.session
from botocore.config import Config


def client(service):
    return botocore.session.get_session().create_client(
        service,
        endpoint_url=os.environ["MINISTACK_ENDPOINT"],
        region_name=os.environ["AWS_DEFAULT_REGION"],
        config=Config(retries={"max_attempts": 2, "mode": "standard"}),
    )


def zip_directory(directory):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, _, files in os.walk(directory):
            for name in sorted(files):
                path = os.path.join(root, name)
                archive.write(path, os.path.relpath(path, directory))
    return buffer.getvalue()


def deploy(request):
    account = os.environ["AWS_ACCESS_KEY_ID"]
    lambda_client = client("lambda")
    for function in request.get("functions", []):
        lambda_client.create_function(
            FunctionName=function["name"],
            Runtime=function["runtime"],
            Handler=function["handler"],
            Role=f"arn:aws:iam::{account}:role/decider",
            Code={"ZipFile": zip_directory(function["bundleDir"])},
            Timeout=30,
        )
    machine = request["stateMachine"]
    created = client("stepfunctions").create_state_machine(
        name=machine["name"],
        definition=json.dumps(machine["definition"]),
        roleArn=f"arn:aws:iam::{account}:role/state-machine",
    )
    return {"stateMachineArn": created["stateMachineArn"]}


def execute(request):
    sfn = client("stepfunctions")
    arns = [
        sfn.start_execution(
            stateMachineArn=f"{request['stateMachineArn']}#{execution['testCase']}",
            input=json.dumps(execution.get("input", {})),
        )["executionArn"]
        for execution in request["executions"]
    ]
    timeout = request.get("timeoutSeconds", 60)
    deadline = time.monotonic() + timeout
    described = {}
    while len(described) < len(arns):
        for arn in arns:
            if arn not in described:
                answer = sfn.describe_execution(executionArn=arn)
                if answer["status"] != "RUNNING":
                    described[arn] = answer
        if len(described) < len(arns):
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(arns) - len(described)} execution(s) still RUNNING after {timeout}s")
            time.sleep(0.05)
    results = []
    for arn in arns:
        events = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
            events.extend(page["events"])
        answer = described[arn]
        results.append({
            "status": answer["status"],
            "output": json.loads(answer["output"]) if answer.get("output") else None,
            "error": answer.get("error"),
            "cause": answer.get("cause"),
            "events": events,
        })
    return {"executions": results}


def main():
    request = json.load(sys.stdin)
    commands = {"deploy": deploy, "execute": execute}
    answer = commands[request["command"]](request)
    json.dump(answer, sys.stdout, default=str)


if __name__ == "__main__":
    main()
