"""Runs the Python that PyPI and Construct Hub show for README's TypeScript examples.

jsii-rosetta translates every TypeScript example into Python in the tablet (.jsii.tabl.json);
jsii-pacmak writes the PyPI README from it, and Construct Hub shows it. consumers/run.sh runs this
in the Python consumer's virtual environment, where the built wheel and aws-cdk-lib from PyPI are
installed:

    python readme_translations.py TABLET WORKDIR

For each translation, this writes it to WORKDIR, byte-compiles it (py_compile: is it Python at
all?), then runs it, in a fresh App and Stack, with the names its TypeScript declares
(`declare const cluster: ecs.ICluster;`, which rosetta writes as `# cluster: ecs.ICluster`) bound to
real objects, and synthesizes the app. A keyword that does not exist fails the call that passes it
(jsii's Python raises TypeError), and an invalid construct fails the synthesis. Exits non-zero,
after trying every translation, when any failed.
"""

import json
import py_compile
import re
import sys
import traceback
from pathlib import Path
from typing import Callable

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_stepfunctions as sfn
from cdk_retryable_ecs_run_task import RetryableEcsRunTask, RetryableEcsRunTaskFragment

# How rosetta renders a `declare const name: Type;` line: `# name: Type`, and the comment, if any.
DECLARATION = re.compile(r"^# (?P<name>[a-z_][a-z0-9_]*): (?P<type>[A-Za-z_][\w.]*)(?:\s+#.*)?$")


class Fixtures:
    """The objects an example's declared names stand for, built on first use in one stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._vpc = None
        self._cluster = None

    def vpc(self) -> ec2.IVpc:
        if self._vpc is None:
            self._vpc = ec2.Vpc(self.stack, "FixtureVpc", max_azs=2, nat_gateways=1)
        return self._vpc

    def cluster(self) -> ecs.ICluster:
        if self._cluster is None:
            # Fargate Spot and Fargate, which the adaptive-retries example runs on.
            self._cluster = ecs.Cluster(
                self.stack, "FixtureCluster", vpc=self.vpc(), enable_fargate_capacity_providers=True
            )
        return self._cluster

    def task_definition(self, name: str) -> ecs.FargateTaskDefinition:
        # 1 vCPU and 2 GiB, the size the adaptive-retries example says it starts from.
        task_definition = ecs.FargateTaskDefinition(self.stack, f"Fixture_{name}", cpu=1024, memory_limit_mib=2048)
        task_definition.add_container(
            "main", image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable")
        )
        return task_definition

    def job(self, name: str) -> RetryableEcsRunTask:
        return RetryableEcsRunTask(
            self.stack, f"Fixture_{name}", cluster=self.cluster(), task_definition=self.task_definition(f"{name}_task")
        )

    def fragment(self, name: str) -> RetryableEcsRunTaskFragment:
        # A step of a workflow: the fragment in a state machine of the user's own.
        fragment = RetryableEcsRunTaskFragment(
            self.stack, f"Fixture_{name}", cluster=self.cluster(), task_definition=self.task_definition(f"{name}_task")
        )
        sfn.StateMachine(self.stack, f"Fixture_{name}_workflow", definition_body=sfn.DefinitionBody.from_chainable(fragment))
        return fragment


# Each declared type, and how to build an object of it. An example that declares another type
# fails with a message that names it: add it here.
FIXTURES: dict[str, Callable[[Fixtures, str], object]] = {
    "Stack": lambda f, name: f.stack,
    "ec2.IVpc": lambda f, name: f.vpc(),
    "ecs.ICluster": lambda f, name: f.cluster(),
    "ecs.TaskDefinition": lambda f, name: f.task_definition(name),
    "ecs.FargateTaskDefinition": lambda f, name: f.task_definition(name),
    "RetryableEcsRunTask": lambda f, name: f.job(name),
    "RetryableEcsRunTaskFragment": lambda f, name: f.fragment(name),
}


def declarations(source: str) -> list[tuple[str, str]]:
    """The (name, type) pairs an example declares, from the comments rosetta writes for them
    between the imports and the code. A comment of the example's own may stand among them."""
    declared = []
    for line in source.splitlines():
        if line.startswith(("import ", "from ")) or not line.strip():
            continue
        if not line.startswith("#"):
            break
        match = DECLARATION.match(line)
        if match:
            declared.append((match["name"], match["type"]))
    return declared


def snippet_name(snippet: dict) -> str:
    """A file name that says where the example is: README's line, or the documented API."""
    location = snippet["location"]
    api = location["api"]
    line = location.get("field", {}).get("line")
    if api["api"] == "moduleReadme" and line is not None:
        return f"readme_line_{line}"
    where = api.get("fqn") or api.get("moduleFqn") or "api"
    return re.sub(r"\W+", "_", f"{where}_{api.get('memberName', '')}_{line or ''}").strip("_")


def run_translation(name: str, source: str, path: Path) -> str:
    """Runs one translation with its declared names bound, and synthesizes it. Returns a summary."""
    app = App(outdir=str(path.parent / f"cdk.out.{name}"))
    stack = Stack(app, re.sub(r"[^A-Za-z0-9-]", "-", name))
    fixtures = Fixtures(stack)
    declared = declarations(source)
    bound = {"__name__": name}
    for declared_name, type_name in declared:
        if type_name not in FIXTURES:
            raise KeyError(f"no fixture for `{declared_name}: {type_name}`; add one to FIXTURES in {Path(__file__).name}")
        bound[declared_name] = FIXTURES[type_name](fixtures, declared_name)
    exec(compile(source, str(path), "exec"), bound)
    assembly = app.synth()
    template = json.loads(
        (Path(assembly.directory) / assembly.get_stack_artifact(stack.artifact_id).template_file).read_text()
    )
    given = ", ".join(f"{n}: {t}" for n, t in declared) or "nothing declared"
    return f"{given}; {len(template.get('Resources', {}))} resources"


def main(tablet_file: str, workdir: str) -> int:
    tablet = json.loads(Path(tablet_file).read_text())
    out = Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    snippets = sorted(
        (s for s in tablet["snippets"].values() if "python" in s["translations"]),
        key=lambda s: (s["location"]["api"]["api"] != "moduleReadme", s["location"].get("field", {}).get("line") or 0),
    )
    if not snippets:
        print(f"readme translations: no Python translations in {tablet_file}", file=sys.stderr)
        return 1
    failed = 0
    for snippet in snippets:
        name = snippet_name(snippet)
        source = snippet["translations"]["python"]["source"]
        path = out / f"{name}.py"
        path.write_text(source + "\n")
        try:
            py_compile.compile(str(path), cfile=str(out / f"{name}.pyc"), doraise=True)
        except py_compile.PyCompileError as error:
            failed += 1
            print(f"python translation {path.name}: does not compile:\n{error.msg}", file=sys.stderr)
            continue
        try:
            summary = run_translation(name, source, path)
        except Exception:  # a TypeError for a keyword that does not exist, a failed synthesis, ...
            failed += 1
            print(f"python translation {path.name}: FAILED:\n{traceback.format_exc()}", file=sys.stderr)
            continue
        print(f"python translation {path.name}: compiles, runs and synthesizes ({summary})")
    print(f"python translations: {len(snippets) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} TABLET WORKDIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
