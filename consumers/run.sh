#!/usr/bin/env bash
# Proves that the built packages work for users. For each language, copies its consumer app into
# a fresh temporary directory, installs the package from dist/ the way a user would (npm tarball,
# Python wheel in a new virtual environment, Maven jar from dist/java as a file:// repository, Go
# module from dist/go through a replace directive) with aws-cdk-lib from the public registry,
# synthesizes the app and lets it check its own cloud assembly. Nothing is deployed and no AWS
# credentials are needed. First it checks the Python, Java and Go packages' generated code: no
# public name that is not deprecated may be renamed by jsii (`npx projen test:jsii-names`).
#
#   bash consumers/run.sh                      # typescript, python, java and go
#   bash consumers/run.sh python [go ...]      # some of them
#
# The Python and Java consumers also check jsii-rosetta's translations of README's TypeScript
# examples, which PyPI and Construct Hub show: every Python translation byte-compiles, runs with
# the names it declares bound to real objects, and synthesizes (readme_translations.py); every
# Java translation compiles against the jar and aws-cdk-lib (readme-translations.mjs writes them
# as classes). They read the tablet, .jsii.tabl.json, which `npx projen post-compile` writes;
# this runs it first when the tablet is missing or older than .jsii.
#
# dist/ is reused when every package needed is there and newer than .jsii (jsii's assembly);
# otherwise this runs `npx projen package-all` first (and, in a fresh clone, `npm ci` and the
# compile that package-all needs). Inside the repository it writes only what those build steps
# write (node_modules/, assets/, lib/, .jsii, .jsii.tabl.json, API.md, dist/, and .tools/ when
# Node has to be installed): the consumers run in a temporary directory, removed at the end.
#
# Environment:
#   PYTHON                       Python 3.10 or later for the virtual environment (default python3)
#   CONSUMERS_MAVEN_REPO_LOCAL   Maven local repository to use (default: Maven's own, ~/.m2/repository)
#   CONSUMERS_KEEP_WORK=1        keep the temporary directory (its path is printed)
# npm and Maven keep their usual caches (npm_config_cache, the Maven local repository), so a second
# run downloads almost nothing; pip keeps its cache (PIP_CACHE_DIR) only where the index allows it.
# Go keeps its module cache (GOMODCACHE) and build cache (GOCACHE): a second run downloads nothing
# and compiles only the app and the library, not aws-cdk-go.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
consumers="$repo/consumers"
cd "$repo"

all_languages=(typescript python java go)
if [ "$#" -eq 0 ]; then
  languages=("${all_languages[@]}")
else
  languages=("$@")
  for language in "${languages[@]}"; do
    case "$language" in
      typescript|python|java|go) ;;
      *) echo "usage: bash consumers/run.sh [typescript|python|java|go]..." >&2; exit 2 ;;
    esac
  done
fi

# jsii's runtime (used by the Python and Java packages too) and the build need Node 22 or 24.
# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=scripts/use-node.sh
source "$repo/scripts/use-node.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk-retryable-ecs-run-task-consumers.XXXXXX")"
cleanup() {
  if [ "${CONSUMERS_KEEP_WORK:-}" = 1 ]; then
    echo "consumers: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# The packages in dist/

# Prints the one file matching a glob, or nothing.
only_file() {
  local matches=()
  local f
  for f in "$@"; do
    [ -f "$f" ] && matches+=("$f")
  done
  if [ "${#matches[@]}" -eq 1 ]; then
    echo "${matches[0]}"
  elif [ "${#matches[@]}" -gt 1 ]; then
    echo "consumers: more than one package in dist/: ${matches[*]}; remove the old ones or run 'npx projen package-all'" >&2
  fi
}

js_package() { only_file dist/js/cdk-retryable-ecs-run-task@*.jsii.tgz; }
python_package() { only_file dist/python/cdk_retryable_ecs_run_task-*-py3-none-any.whl; }
java_package() {
  local jars=()
  local f
  for f in dist/java/io/github/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task/*/cdk-retryable-ecs-run-task-*.jar; do
    case "$f" in *-sources.jar|*-javadoc.jar) ;; *) jars+=("$f") ;; esac
  done
  only_file "${jars[@]}"
}
# The Go module's go.mod. jsii-pacmak deletes local.go.mod once the module has compiled, so a
# module whose build failed does not count.
go_package() {
  [ ! -e dist/go/cdkretryableecsruntask/local.go.mod ] && only_file dist/go/cdkretryableecsruntask/go.mod
}
package_of() {
  case "$1" in
    typescript) js_package ;;
    python) python_package ;;
    java) java_package ;;
    go) go_package ;;
  esac
}

# jsii-rosetta's tablet of README's translations (.jsii.tabl.json), which the packages carry and
# the Python and Java consumers check: written by post-compile, after every compile.
tablet="$repo/.jsii.tabl.json"
ensure_tablet() {
  if [ ! -s "$tablet" ] || [ "$tablet" -ot .jsii ]; then
    echo "consumers: $tablet is missing or older than .jsii; translating README's examples"
    npx projen post-compile # API.md, and the tablet
  fi
}

# True when every package the chosen languages need is in dist/ and newer than .jsii.
packages_current() {
  local language package
  for language in "${languages[@]}"; do
    package="$(package_of "$language")"
    [ -n "$package" ] || return 1
    # A package with no .jsii beside it (a copied dist/) counts as current.
    [ ! -e .jsii ] || [ "$package" -nt .jsii ] || return 1
  done
}

if packages_current; then
  echo "consumers: reusing the packages in dist/ (newer than .jsii)"
else
  echo "consumers: dist/ is missing or older than .jsii; building the packages"
  # package-all writes dist/go too, and jsii-pacmak compiles that module with the go command.
  command -v go > /dev/null || { echo "consumers: building the packages needs Go 1.25 or later (go) on PATH" >&2; exit 1; }
  build_started=$(date +%s)
  if [ ! -d node_modules ]; then
    npm ci --no-audit --no-fund
  fi
  if [ ! -s assets/lambda/decider.lambda/index.js ]; then
    npx projen pre-compile # bundles the decider into assets/, which the packages ship
  fi
  if [ ! -e .jsii ]; then
    npx projen compile # jsii: lib/ and .jsii
  fi
  ensure_tablet
  npx projen package-all
  if ! packages_current; then
    echo "consumers: 'npx projen package-all' did not produce the packages in dist/" >&2
    exit 1
  fi
  echo "consumers: packages built in $(($(date +%s) - build_started))s"
fi

case " ${languages[*]} " in
  *" python "*|*" java "*) ensure_tablet ;;
esac

# ---------------------------------------------------------------------------------------------
# The consumers. Each runs in a subshell with `set -e`, in its own directory under $work.

run_typescript() {
  local dir="$work/typescript" tarball
  tarball="$repo/$(js_package)"
  mkdir -p "$dir"
  cp "$consumers/typescript/package.json" "$consumers/typescript/tsconfig.json" "$consumers/typescript/app.ts" \
    "$consumers/typescript/retry-policy.test.ts" "$dir/"
  cd "$dir"
  # As a user would: the app's own dependencies plus the packed library.
  npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball"
  ./node_modules/.bin/tsc -p .
  CDK_OUTDIR="$dir/cdk.out" node build/app.js
  # README's Jest test of the retry policy, compiled with the app.
  ./node_modules/.bin/jest --ci --rootDir build
}

run_python() {
  local dir="$work/python" wheel python="${PYTHON:-python3}"
  wheel="$repo/$(python_package)"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "python consumer: needs Python 3.10 or later, $python is $("$python" --version 2>&1)" >&2
    return 1
  fi
  mkdir -p "$dir"
  cp "$consumers/python/app.py" "$consumers/python/readme_translations.py" "$consumers/python/requirements.txt" \
    "$consumers/python/test_retry_policy.py" "$dir/"
  cd "$dir"
  "$python" -m venv venv
  # --no-compile: byte-compiling all of aws-cdk-lib takes longer than the synth, which compiles
  # only what it imports.
  venv/bin/pip install --quiet --disable-pip-version-check --no-input --no-compile -r requirements.txt "$wheel"
  CDK_OUTDIR="$dir/cdk.out" venv/bin/python app.py
  # The Python that PyPI and Construct Hub show for README's TypeScript examples.
  venv/bin/python readme_translations.py "$tablet" "$dir/readme-translations"
  # README's pytest test of the retry policy.
  venv/bin/python -m pytest -q -p no:cacheprovider test_retry_policy.py
}

run_java() {
  local dir="$work/java" jar version
  jar="$(java_package)"
  version="$(basename "$(dirname "$jar")")"
  command -v mvn > /dev/null || { echo "java consumer: needs Maven (mvn) on PATH" >&2; return 1; }
  mkdir -p "$dir"
  cp -R "$consumers/java/pom.xml" "$consumers/java/src" "$dir/"
  cd "$dir"
  local maven=(mvn --batch-mode --quiet -Dstyle.color=never "-Ddist.java.repository=file://$repo/dist/java"
    "-Dcdk-retryable-ecs-run-task.version=$version")
  if [ -n "${CONSUMERS_MAVEN_REPO_LOCAL:-}" ]; then
    maven+=("-Dmaven.repo.local=$CONSUMERS_MAVEN_REPO_LOCAL")
  fi
  # The version in dist/ is rebuilt without changing its number, and Maven never downloads a
  # release it already has: drop the library (only it) from the local repository first. `test`
  # compiles the app and runs README's JUnit test of the retry policy (src/test).
  "${maven[@]}" \
    dependency:purge-local-repository \
    -DmanualInclude=io.github.cdk-retryable-ecs-run-task:cdk-retryable-ecs-run-task -DreResolve=false \
    test dependency:build-classpath -Dmdep.outputFile=classpath.txt \
    2>&1 | sed 's/\x1b\[0m//g' # Maven 3.8 prints colour resets even in batch mode
  # The app must run against the jar just built, not a stale copy.
  local resolved
  resolved="$(tr ':' '\n' < classpath.txt | grep "/cdk-retryable-ecs-run-task-$version.jar\$")"
  if ! cmp -s "$resolved" "$repo/$jar"; then
    echo "java consumer: Maven resolved $resolved, which differs from $jar" >&2
    return 1
  fi
  CDK_OUTDIR="$dir/cdk.out" java -cp "target/classes:$(cat classpath.txt)" com.example.nightlyreport.ConsumerApp
  # The Java that Construct Hub shows for README's TypeScript examples, compiled against the same
  # jar and aws-cdk-lib.
  cp "$consumers/java/readme-translations.mjs" "$dir/"
  node readme-translations.mjs "$tablet" readme-translations/src
  mkdir -p readme-translations/classes
  javac -nowarn --release 17 -encoding UTF-8 -d readme-translations/classes -cp "$(cat classpath.txt)" readme-translations/src/*.java
  echo "java translations: $(find readme-translations/src -name '*.java' | wc -l) compile"
}

run_go() {
  local dir="$work/go" module_dir module_path
  command -v go > /dev/null || { echo "go consumer: needs Go 1.26 or later (go) on PATH" >&2; return 1; }
  module_dir="$repo/$(dirname "$(go_package)")"
  module_path="$(awk '$1 == "module" { print $2 }' "$module_dir/go.mod")"
  mkdir -p "$dir"
  cp "$consumers/go/go.mod" "$consumers/go/"*.go "$dir/"
  cd "$dir"
  # As a user would, except that the library is the module in dist/go; everything else comes
  # from the Go module proxy, and go.sum is written here.
  go mod edit -replace="$module_path=$module_dir"
  go mod tidy
  go build -o nightly-report .
  CDK_OUTDIR="$dir/cdk.out" ./nightly-report
  # README's go test of the retry policy (retry_policy_test.go).
  go test -count=1 .
}

passed=0
failed=0
summary=()

# ---------------------------------------------------------------------------------------------
# The names users get: no public name of ours that is not deprecated is renamed by a jsii target
# (test/jsii-names/check-jsii-names.ts reads the generated code inside each package in dist/).
# TypeScript users get the names as written.
name_targets=()
for language in "${languages[@]}"; do
  [ "$language" = typescript ] || name_targets+=("$language")
done
names_failed=0
if [ "${#name_targets[@]}" -gt 0 ]; then
  echo
  echo "== jsii names: ${name_targets[*]}"
  if npx projen test:jsii-names "${name_targets[@]}"; then
    summary+=("jsii names (${name_targets[*]}): passed")
  else
    names_failed=1
    summary+=("jsii names (${name_targets[*]}): FAILED, a public name is renamed (see above)")
  fi
  echo "== ${summary[-1]}"
fi

for language in "${languages[@]}"; do
  echo
  echo "== $language consumer"
  started=$(date +%s)
  set +e
  (
    set -euo pipefail
    "run_$language"
  )
  status=$?
  set -e
  seconds=$(($(date +%s) - started))
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    summary+=("$language: passed in ${seconds}s")
  else
    failed=$((failed + 1))
    summary+=("$language: FAILED (exit $status) after ${seconds}s")
  fi
  echo "== ${summary[-1]}"
done

echo
printf '%s\n' "${summary[@]}"
echo "consumers: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$names_failed" -eq 0 ]
