"""Drives MiniStack through the AWS SDK for the MiniStack execution tests.

Reads one JSON request on stdin and writes one JSON answer on stdout:

- ``{"command": "deploy", "functions": [{"name", "bundleDir", "handler", "runtime", "environment"}],
  "topics": ["name"], "stateMachine": {"name", "definition"}}``: creates the Lambda functions from
  their bundle directories, each SNS topic with an SQS queue subscribed to it (raw delivery) that
  keeps what is published, and the state machine; answers ``{"stateMachineArn"}``.
- ``{"command": "ecs", "calls": [{"operation", "params"}]}``: calls MiniStack's ECS with the AWS SDK
  (``create_cluster``, ``register_task_definition``, ``list_tasks``, ``describe_tasks``, ...).
- ``{"command": "messages", "topics": ["name"]}``: answers ``{"<topic>": [{"body"}]}``, every
  message published to each topic since the last ``messages``, in order.
- ``{"command": "execute", "stateMachineArn", "executions": [{"testCase", "input"}], "timeoutSeconds"}``:
  starts one execution per entry with its mock test case (``<arn>#<TestCase>``, the way Step
  Functions Local and LocalStack select one; without ``testCase``, unmocked), waits for all to end, and answers
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
            Environment={"Variables": function.get("environment", {})},
        )
    topics = request.get("topics", [])
    # A botocore client takes most of a second to create: only when there are topics.
    sns = client("sns") if topics else None
    sqs = client("sqs") if topics else None
    for topic in topics:
        topic_arn = sns.create_topic(Name=topic)["TopicArn"]
        queue_url = sqs.create_queue(QueueName=queue_name(topic))["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    machine = request["stateMachine"]
    created = client("stepfunctions").create_state_machine(
        name=machine["name"],
        definition=json.dumps(machine["definition"]),
        roleArn=f"arn:aws:iam::{account}:role/state-machine",
    )
    return {"stateMachineArn": created["stateMachineArn"]}


def execute(request):
    """Runs the executions a few at a time: MiniStack runs each in a thread of one Python process,
    and jsonata-python gives an expression 1 s of wall time (D1012), which dozens of executions
    sharing the interpreter at once can use up where one execution needs milliseconds."""
    sfn = client("stepfunctions")
    timeout = request.get("timeoutSeconds", 60)
    concurrency = request.get("concurrency", 4)
    deadline = time.monotonic() + timeout
    arns = []
    described = {}
    pending = list(request["executions"])
    while pending or len(described) < len(arns):
        running = [arn for arn in arns if arn not in described]
        while pending and len(running) < concurrency:
            execution = pending.pop(0)
            # Without a test case, the execution calls MiniStack's own services, unmocked.
            test_case = execution.get("testCase")
            arn = sfn.start_execution(
                stateMachineArn=f"{request['stateMachineArn']}#{test_case}" if test_case else request["stateMachineArn"],
                input=json.dumps(execution.get("input", {})),
            )["executionArn"]
            arns.append(arn)
            running.append(arn)
        for arn in running:
            answer = sfn.describe_execution(executionArn=arn)
            if answer["status"] != "RUNNING":
                described[arn] = answer
        if pending or len(described) < len(arns):
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(arns) - len(described) + len(pending)} execution(s) unfinished after {timeout}s")
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


def queue_name(topic):
    return f"{topic}-messages"


def messages(request):
    sqs = client("sqs")
    answer = {}
    for topic in request["topics"]:
        queue_url = sqs.get_queue_url(QueueName=queue_name(topic))["QueueUrl"]
        received = []
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not batch:
                break
            for message in batch:
                received.append({"body": message["Body"]})
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        answer[topic] = received
    return answer


def ecs(request):
    """Calls MiniStack's ECS: each of ``calls`` is ``{"operation", "params"}``, e.g.
    ``{"operation": "describe_tasks", "params": {"cluster": "jobs", "tasks": [...]}}``; answers
    ``{"results": [...]}``, each call's answer without its response metadata, in order."""
    ecs_client = client("ecs")
    results = []
    for call in request["calls"]:
        answer = getattr(ecs_client, call["operation"])(**call.get("params", {}))
        answer.pop("ResponseMetadata", None)
        results.append(answer)
    return {"results": results}


def main():
    request = json.load(sys.stdin)
    commands = {"deploy": deploy, "execute": execute, "messages": messages, "ecs": ecs}
    answer = commands[request["command"]](request)
    json.dump(answer, sys.stdout, default=str)


if __name__ == "__main__":
    main()
