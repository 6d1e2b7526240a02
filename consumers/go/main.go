// A user's CDK app in Go: synthesizes every Go example of README and checks its own cloud
// assemblies, as the TypeScript, Python and Java consumer apps check theirs. Any failed check exits
// non-zero. consumers/run.sh runs it; it never deploys.
//
// README's Go examples are the README regions of the files that test/readme-examples.test.ts lists,
// in its order; one of them is in this file: the lines of a user's main. HourlyReportStack
// (hourly_report_stack.go) is the stack the other consumer apps have too.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// The default lists, as README documents them.
var (
	defaultStopCodes               = []any{"TaskFailedToStart", "SpotInterruption", "TerminationNotice", "InfrastructureHealth"}
	defaultRetryableStoppedReasons = []any{
		"ResourceInitializationError:*",
		"CannotPullContainerError:*",
		"Timeout waiting for network interface provisioning*",
		"Host EC2 (instance *) stopped/terminated*",
	}
	defaultNonRetryableStoppedReasons = []any{
		"CannotPullContainerError:*not found*",
		"CannotPullContainerError:*manifest unknown*",
		"CannotPullContainerError:*repository does not exist*",
		"CannotPullContainerError:*access denied*",
		"CannotPullContainerError:*403 Forbidden*",
		"CannotPullContainerError:*401 Unauthorized*",
		"ResourceInitializationError:*AccessDenied*",
		"ResourceInitializationError:*ResourceNotFoundException*",
		"ResourceInitializationError:*ParameterNotFound*",
		"CannotStartContainerError:*executable file not found*",
	}
	defaultRetryableErrors         = []any{"ECS.AmazonECSException", "ECS.ServerException", "AmazonECS.Unknown"}
	defaultNonRetryableErrorCauses = []any{
		"ATTRIBUTE",
		"MemberOf placement constraint unsatisfied*",
		"LOCATION",
		"*TaskDefinition is inactive*",
		"*Unable to describe task definition*",
		"*Error Code: ClusterNotFoundException*",
		"*Error Code: PlatformUnknownException*",
		"*Error Code: PlatformTaskDefinitionIncompatibilityException*",
		"*Error Code: UnsupportedFeatureException*",
		"*Error Code: BlockedException*",
		"*Error Code: AccessDeniedException*",
	}
)

// The policy NightlyReportStack must render into the "Decide retry" invocation: each list is the
// default followed by what the example adds.
var expectedPolicy = map[string]any{
	"maxAttempts":                5,
	"intervalSeconds":            10,
	"backoffRate":                1.5,
	"maxDelaySeconds":            120,
	"jitter":                     "NONE",
	"retryableStopCodes":         plus(defaultStopCodes, "SomeFutureStopCode"),
	"retryableStoppedReasons":    plus(defaultRetryableStoppedReasons, "CannotCreateContainerError:*"),
	"nonRetryableStoppedReasons": plus(defaultNonRetryableStoppedReasons, "CannotPullContainerError:*no matching manifest*"),
	"retryableExitCodes":         []any{75, 69},
	"retryableErrors":            plus(defaultRetryableErrors, "States.Timeout"),
	"nonRetryableErrorCauses":    defaultNonRetryableErrorCauses,
}

// The policy HourlyReportStack renders into the comment of its "Retry or fail" state: the
// defaults and what it sets.
var expectedHourlyPolicy = map[string]any{
	"maxAttempts":                6,
	"intervalSeconds":            15,
	"backoffRate":                2,
	"maxDelaySeconds":            240,
	"jitter":                     "FULL",
	"retryableStopCodes":         defaultStopCodes,
	"retryableStoppedReasons":    defaultRetryableStoppedReasons,
	"nonRetryableStoppedReasons": defaultNonRetryableStoppedReasons,
	"retryableExitCodes":         []any{75},
	"retryableErrors":            defaultRetryableErrors,
	"nonRetryableErrorCauses":    defaultNonRetryableErrorCauses,
}

// The default fallback rules, as README documents them ("Fallback rules").
var expectedFallbackDefaults = map[string]any{
	"stopCodes": []any{"SpotInterruption", "TerminationNotice"},
	"stoppedReasons": []any{
		"Your Spot Task was interrupted*",
		"TaskFailedToStart: RESOURCE:*",
		"TaskFailedToStart: NO ACTIVE INSTANCES*",
		"TaskFailedToStart: EMPTY CAPACITY PROVIDER*",
	},
	"errorCauses": []any{"Capacity is unavailable at this time*", "RESOURCE:*"},
}

// The size ladder WeeklyReport must render into the decider's policy: the task definition's own
// size, then each of OutOfMemorySizes, the second taking its CPU from the first. No container has a
// hard memory limit to scale.
var expectedSizes = []any{
	map[string]any{"cpu": 1024, "memoryMiB": 2048, "containerMemoryMiB": []any{}},
	map[string]any{"cpu": 1024, "memoryMiB": 4096, "containerMemoryMiB": []any{}},
	map[string]any{"cpu": 2048, "memoryMiB": 8192, "containerMemoryMiB": []any{}},
}

// The lists NewExportJob must render into the "Decide retry" invocation: two defaults extended,
// one filtered, the others left at their defaults.
var expectedExportLists = map[string]any{
	"retryableStopCodes":         defaultStopCodes,
	"retryableStoppedReasons":    plus(defaultRetryableStoppedReasons, "CannotCreateContainerError:*"),
	"nonRetryableStoppedReasons": defaultNonRetryableStoppedReasons,
	"retryableExitCodes":         []any{},
	"retryableErrors":            plus(defaultRetryableErrors, "States.Timeout"),
	"nonRetryableErrorCauses":    defaultNonRetryableErrorCauses[1:],
}

// The attempt number reaches every container of the task definition, as README documents it.
const (
	attemptVariable = "RETRYABLE_ECS_RUN_TASK_ATTEMPT"
	attemptValue    = "States.Format('{}', $.retryableEcsRunTask.attempt)"
)

func main() {
	os.Exit(run())
}

func run() (status int) {
	defer func() {
		// A failed check, or a failed assertions check raised through jsii. It runs after
		// jsii.Close: deferred calls run last-in first-out.
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "go consumer: FAILED: %v\n", r)
			status = 1
		}
	}()

	// README's lines of a user's main, after nightly_report_stack.go: they must compile as they are.
	// README:start
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	stack, job := NewNightlyReportStack(app, "NightlyReportStack", &NightlyReportStackProps{})
	// job.StateMachine() is a regular awsstepfunctions.StateMachine: schedule it, grant it, alarm on its metrics.
	awscdk.NewCfnOutput(stack, jsii.String("StateMachineArn"), &awscdk.CfnOutputProps{Value: job.StateMachine().StateMachineArn()})
	app.Synth(nil)
	// README:end

	// An app synthesizes once: Synth again returns the assembly just written (CDK_OUTDIR).
	assembly := app.Synth(nil)
	check(job.StateMachine() != nil, "job.StateMachine() is set")
	check(job.Decider() != nil, "job.Decider() is set")
	fmt.Println(checkDecisionEngineNames(job))

	outdir := *assembly.Directory()
	noWarnings(assembly, stack)
	templateFile := filepath.Join(outdir, *assembly.GetStackArtifact(stack.ArtifactId()).TemplateFile())
	fmt.Println(checkAssembly(outdir, templateFile))

	// README's other Go examples, and HourlyReportStack, each in a stack of its own, in an app
	// of its own beside the first one's cloud assembly.
	examples := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(filepath.Dir(outdir), "cdk.out.examples"))})
	hourlyStack, hourlyJob := NewHourlyReportStack(examples, "HourlyReportStack", nil)
	pipelineStack := partitionPipelineStack(examples)
	withoutLambdaStack, reportJob, extractPipeline := withoutLambdaStack(examples)
	weeklyStack := weeklyReportStack(examples)
	exportStack := exportJobStack(examples)
	examplesAssembly := examples.Synth(nil)
	templateOf := func(stack awscdk.Stack) string {
		// Synth warns, for example, when a fallback would run the task just as the primary does.
		noWarnings(examplesAssembly, stack)
		return filepath.Join(*examplesAssembly.Directory(), *examplesAssembly.GetStackArtifact(stack.ArtifactId()).TemplateFile())
	}
	fmt.Println(checkHourlyReport(templateOf(hourlyStack), hourlyJob))
	fmt.Println(checkPartitionPipeline(templateOf(pipelineStack)))
	fmt.Println(checkWithoutLambda(templateOf(withoutLambdaStack), reportJob, extractPipeline))
	fmt.Println(checkWeeklyReport(templateOf(weeklyStack)))
	fmt.Println(checkExportJob(templateOf(exportStack)))
	fmt.Println(checkBatchJobs(synthBatchJobs(filepath.Join(filepath.Dir(outdir), "cdk.out.batch-jobs"))))
	return 0
}

// The Lambda engine has one name in every language: LAMBDA_FUNCTION. Its first name, LAMBDA, is
// deprecated, and the same engine.
func checkDecisionEngineNames(job cdkretryableecsruntask.RetryableEcsRunTask) string {
	lambdaFunction := cdkretryableecsruntask.DecisionEngine_LAMBDA_FUNCTION()
	check(cdkretryableecsruntask.DecisionEngine_LAMBDA() == lambdaFunction, "DecisionEngine_LAMBDA() is not DecisionEngine_LAMBDA_FUNCTION()")
	check(*lambdaFunction.Name() == "LAMBDA", "DecisionEngine_LAMBDA_FUNCTION().Name(): %s", *lambdaFunction.Name())
	check(job.Fragment().DecisionEngine() == lambdaFunction, "NightlyReportJob's engine is not DecisionEngine_LAMBDA_FUNCTION()")
	return "go consumer: NightlyReportJob on DecisionEngine_LAMBDA_FUNCTION(), and the deprecated DecisionEngine_LAMBDA() is the same engine"
}

// noWarnings checks that synth left no warning on the stack.
func noWarnings(assembly cxapi.CloudAssembly, stack awscdk.Stack) {
	var warnings []any
	for _, message := range *assembly.GetStackArtifact(stack.ArtifactId()).Messages() {
		if message.Level == cxapi.SynthesisMessageLevel_WARNING {
			warnings = append(warnings, message.Entry.Data)
		}
	}
	check(len(warnings) == 0, "%s: synth warnings: %v", *stack.StackName(), warnings)
}

// exampleStack is a stack with what README's examples are given: a VPC, with private subnets
// behind one NAT gateway, and a cluster.
func exampleStack(app awscdk.App, id string, clusterProps awsecs.ClusterProps) (awscdk.Stack, awsecs.Cluster) {
	stack := awscdk.NewStack(app, &id, nil)
	clusterProps.Vpc = awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	return stack, awsecs.NewCluster(stack, jsii.String("Cluster"), &clusterProps)
}

// fargateTask is a Fargate task definition of the default size with one busybox container.
func fargateTask(stack awscdk.Stack, id, container string) awsecs.FargateTaskDefinition {
	task := awsecs.NewFargateTaskDefinition(stack, &id, nil)
	task.AddContainer(&container, &awsecs.ContainerDefinitionOptions{
		Image:   awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:stable"), nil),
		Command: jsii.Strings("sh", "-c", "echo "+container+" attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"),
	})
	return task
}

func partitionPipelineStack(app awscdk.App) awscdk.Stack {
	stack, cluster := exampleStack(app, "PartitionPipelineStack", awsecs.ClusterProps{})
	pipeline := NewPartitionPipeline(stack, "Partitions", &PartitionPipelineProps{
		Cluster:     cluster,
		ExtractTask: fargateTask(stack, "extractTask", "extract"),
		LoadTask:    fargateTask(stack, "loadTask", "load"),
	})
	check(pipeline.StateMachine != nil, "pipeline.StateMachine is set")
	return stack
}

func withoutLambdaStack(app awscdk.App) (awscdk.Stack, cdkretryableecsruntask.RetryableEcsRunTask, awsstepfunctions.StateMachine) {
	stack, cluster := exampleStack(app, "WithoutLambdaStack", awsecs.ClusterProps{})
	job := NewHourlyReportJob(stack, "HourlyReportJob", cluster, fargateTask(stack, "reportTask", "report"))
	pipeline := NewExtractPipeline(stack, "Pipeline", cluster, fargateTask(stack, "extractTask", "extract"))
	return stack, job, pipeline
}

// weeklyReportStack puts a WeeklyReport on a cluster that has the Fargate capacity providers.
func weeklyReportStack(app awscdk.App) awscdk.Stack {
	stack, cluster := exampleStack(app, "WeeklyReportStack", awsecs.ClusterProps{EnableFargateCapacityProviders: jsii.Bool(true)})
	report := NewWeeklyReport(stack, "WeeklyReport", &WeeklyReportProps{Cluster: cluster})
	check(report.Job.StateMachine() != nil, "report.Job.StateMachine() is set")
	return stack
}

func exportJobStack(app awscdk.App) awscdk.Stack {
	stack, cluster := exampleStack(app, "ExportJobStack", awsecs.ClusterProps{})
	NewExportJob(stack, "ExportJob", cluster, fargateTask(stack, "exportTask", "export"))
	return stack
}

func checkAssembly(outdir, templateFile string) string {
	// The template exactly as written into the cloud assembly.
	templateText := readFile(templateFile)
	template := assertions.Template_FromString(jsii.String(templateText), nil)
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(templateText), &templateJSON))

	// One state machine, and one Lambda function: the shared decider.
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
	template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Runtime": assertions.Match_StringLikeRegexp(jsii.String("^nodejs")),
		"Handler": "index.handler",
	})

	// The output README's main adds: the state machine's ARN.
	stateMachineID := onlyLogicalIDOfType(templateJSON, "AWS::StepFunctions::StateMachine")
	template.HasOutput(jsii.String("StateMachineArn"), map[string]any{"Value": map[string]any{"Ref": stateMachineID}})

	// The policy passed to the construct is rendered into the decider's payload.
	stateMachine := onlyResourceOfType(templateJSON, "AWS::StepFunctions::StateMachine")
	definition := parseDefinition(path(stateMachine, "Properties", "DefinitionString"))
	states, _ := definition["States"].(map[string]any)
	decide, ok := states["Decide retry"].(map[string]any)
	check(ok, "\"Decide retry\" state missing; states: %v", keys(states))
	// It sends what differs from the default policy, with the defaults' id; the decider function has
	// the defaults in its environment, and the two make the whole policy.
	diff, _ := path(decide, "Parameters", "policy").(map[string]any)
	_, sentDefaultList := diff["nonRetryableErrorCauses"]
	check(!sentDefaultList, "a list left as its default is sent: %v", keys(diff))
	policy := wholePolicy(templateJSON, diff)
	expected := asJSON(expectedPolicy)
	check(reflect.DeepEqual(asJSON(policy), expected), "rendered policy differs:\n  got      %v\n  expected %v", policy, expected)
	check(definition["TimeoutSeconds"] == float64(8*3600), "TimeoutSeconds: %v", definition["TimeoutSeconds"])

	// Every attempt passes its number to the container, in the variable README names.
	check(*cdkretryableecsruntask.RetryDefaults_ATTEMPT_ENVIRONMENT_VARIABLE() == attemptVariable,
		"RetryDefaults_ATTEMPT_ENVIRONMENT_VARIABLE(): %s", *cdkretryableecsruntask.RetryDefaults_ATTEMPT_ENVIRONMENT_VARIABLE())
	overrides := path(states, "Run task", "Parameters", "Overrides", "ContainerOverrides")
	expectedOverrides := asJSON([]any{map[string]any{
		"Name":        "report",
		"Environment": []any{map[string]any{"Name": attemptVariable, "Value.$": attemptValue}},
	}})
	check(reflect.DeepEqual(overrides, expectedOverrides), "\"Run task\" ContainerOverrides:\n  got      %v\n  expected %v",
		overrides, expectedOverrides)

	// The decider's code asset was staged into the cloud assembly, and its index.js is not empty.
	function := onlyResourceOfType(templateJSON, "AWS::Lambda::Function")
	s3Key, ok := path(function, "Properties", "Code", "S3Key").(string)
	check(ok, "Lambda Code.S3Key: %v", path(function, "Properties", "Code"))
	// The stack's own asset manifest.
	assetManifest := strings.TrimSuffix(templateFile, ".template.json") + ".assets.json"
	var manifest map[string]any
	must(json.Unmarshal([]byte(readFile(assetManifest)), &manifest))
	var sources []map[string]any
	files, _ := manifest["files"].(map[string]any)
	for _, entry := range files {
		destinations, _ := path(entry, "destinations").(map[string]any)
		for _, destination := range destinations {
			if path(destination, "objectKey") == s3Key {
				source, _ := path(entry, "source").(map[string]any)
				sources = append(sources, source)
				break
			}
		}
	}
	check(len(sources) == 1, "one asset manifest entry for %s, found %d", s3Key, len(sources))
	check(sources[0]["packaging"] == "zip", "decider asset packaging: %v", sources[0])
	assetPath, _ := sources[0]["path"].(string)
	indexJs := filepath.Join(outdir, assetPath, "index.js")
	info, err := os.Stat(indexJs)
	check(err == nil && info.Mode().IsRegular(), "%s exists", indexJs)
	check(info.Size() > 0, "%s is not empty", indexJs)

	return fmt.Sprintf("go consumer: %d states, policy as passed, %s on every attempt, 1 Lambda function, "+
		"decider asset %s/index.js (%d bytes), output StateMachineArn, in %s", len(states), attemptVariable, assetPath, info.Size(), outdir)
}

func checkHourlyReport(templateFile string, job cdkretryableecsruntask.RetryableEcsRunTask) string {
	templateText := readFile(templateFile)
	template := assertions.Template_FromString(jsii.String(templateText), nil)
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(templateText), &templateJSON))

	// The state machine decides by itself: no Lambda function in the stack, and no decider on the run.
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(0))
	check(job.Decider() == nil, "job.Decider(): %v", job.Decider())
	check(job.DeciderLogGroup() == nil, "job.DeciderLogGroup(): %v", job.DeciderLogGroup())
	check(job.StateMachineLogGroup() != nil, "job.StateMachineLogGroup() is set")

	stateMachine := onlyResourceOfType(templateJSON, "AWS::StepFunctions::StateMachine")
	definition := parseDefinition(path(stateMachine, "Properties", "DefinitionString"))
	states, _ := definition["States"].(map[string]any)
	for _, name := range []string{"Start attempts", "Run task", "Retry or fail", "Back off", "Attempts exhausted", "Not retryable"} {
		_, ok := states[name]
		check(ok, "%q missing; states: %v", name, keys(states))
	}
	_, hasDecide := states["Decide retry"]
	check(!hasDecide, "no \"Decide retry\" state")
	// Every state is a JSONata state, so the run works inside a JSONPath workflow too.
	for _, name := range keys(states) {
		check(path(states, name, "QueryLanguage") == "JSONata", "%q QueryLanguage: %v", name, path(states, name, "QueryLanguage"))
	}

	// The policy the decisions apply, as data in the variable "Start attempts" assigns, with the wait after each attempt.
	check(path(states, "Retry or fail", "Type") == "Choice", "\"Retry or fail\" is a %v", path(states, "Retry or fail", "Type"))
	assigned, _ := path(states, "Start attempts", "Assign", "retry_policy").(map[string]any)
	policy := map[string]any{}
	for key, value := range assigned {
		policy[key] = value
	}
	waits, _ := policy["waits"].([]any)
	delete(policy, "waits")
	expected := asJSON(expectedHourlyPolicy)
	check(float64(len(waits)) == expected.(map[string]any)["maxAttempts"].(float64)-1, "waits: %v", waits)
	check(reflect.DeepEqual(policy, expected), "rendered policy differs:\n  got      %v\n  expected %v", policy, expected)

	// Every attempt passes its number to the container, as a JSONata expression.
	overrides := path(states, "Run task", "Arguments", "Overrides", "ContainerOverrides")
	expectedOverrides := asJSON([]any{map[string]any{
		"Name":        "report",
		"Environment": []any{map[string]any{"Name": attemptVariable, "Value": "{% $string($retry_attempt) %}"}},
	}})
	check(reflect.DeepEqual(overrides, expectedOverrides), "\"Run task\" ContainerOverrides:\n  got      %v\n  expected %v",
		overrides, expectedOverrides)

	// The state machine logs at level ALL, without execution data, to a log group of its own that keeps a month.
	logging := path(stateMachine, "Properties", "LoggingConfiguration")
	check(path(logging, "Level") == "ALL", "LoggingConfiguration.Level: %v", path(logging, "Level"))
	check(path(logging, "IncludeExecutionData") == false, "IncludeExecutionData: %v", path(logging, "IncludeExecutionData"))
	destinations, _ := path(logging, "Destinations").([]any)
	check(len(destinations) == 1, "Destinations: %v", destinations)
	getAtt, _ := path(destinations[0], "CloudWatchLogsLogGroup", "LogGroupArn", "Fn::GetAtt").([]any)
	check(len(getAtt) == 2 && getAtt[1] == "Arn", "log group: %v", getAtt)
	logGroupID, _ := getAtt[0].(string)
	logGroup := path(templateJSON, "Resources", logGroupID)
	check(path(logGroup, "Type") == "AWS::Logs::LogGroup", "%s is a %v", logGroupID, path(logGroup, "Type"))
	check(path(logGroup, "Properties", "RetentionInDays") == float64(30), "RetentionInDays: %v", path(logGroup, "Properties", "RetentionInDays"))

	// The metrics are counted from that log, in a namespace of the run's own: its construct path, '(' and ')' replaced.
	const namespace = "RetryableEcsRunTask/HourlyReportStack/Hourly report _no Lambda_/Run"
	retries := job.MetricRetries(nil)
	check(*retries.Namespace() == namespace, "MetricRetries(nil).Namespace(): %s", *retries.Namespace())
	check(*retries.MetricName() == "Retries", "MetricRetries(nil).MetricName(): %s", *retries.MetricName())
	var metricNames []string
	resources, _ := templateJSON["Resources"].(map[string]any)
	for _, resource := range resources {
		if path(resource, "Type") != "AWS::Logs::MetricFilter" {
			continue
		}
		transformations, _ := path(resource, "Properties", "MetricTransformations").([]any)
		check(len(transformations) == 1, "MetricTransformations: %v", transformations)
		name, _ := path(transformations[0], "MetricName").(string)
		metricNames = append(metricNames, name)
		check(path(resource, "Properties", "LogGroupName", "Ref") == logGroupID, "metric filter log group: %v", path(resource, "Properties", "LogGroupName"))
		check(path(transformations[0], "MetricNamespace") == namespace, "metric filter namespace: %v", path(transformations[0], "MetricNamespace"))
	}
	sort.Strings(metricNames)
	check(reflect.DeepEqual(metricNames, []string{"AttemptsExhausted", "NotRetryable", "Retries"}), "metric filters: %v", metricNames)

	return fmt.Sprintf("go consumer: HourlyReportStack: STATE_MACHINE engine, %d JSONata states, policy as passed, "+
		"no Lambda function, %d metric filters in %s, in %s", len(states), len(metricNames), namespace, filepath.Dir(templateFile))
}

func checkPartitionPipeline(templateFile string) string {
	templateText := readFile(templateFile)
	template := assertions.Template_FromString(jsii.String(templateText), nil)
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(templateText), &templateJSON))

	// The user's state machine, and one Lambda function: the decider both fragments share.
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))

	definition := parseDefinition(path(onlyResourceOfType(templateJSON, "AWS::StepFunctions::StateMachine"), "Properties", "DefinitionString"))
	check(definition["StartAt"] == "Each partition", "StartAt: %v", definition["StartAt"])
	states, _ := definition["States"].(map[string]any)
	check(reflect.DeepEqual(keys(states), []string{"A partition failed", "Each partition"}), "top-level states: %v", keys(states))
	eachPartition := states["Each partition"]
	check(path(eachPartition, "Type") == "Map", "\"Each partition\" is a %v", path(eachPartition, "Type"))
	check(path(eachPartition, "ItemsPath") == "$.partitions", "ItemsPath: %v", path(eachPartition, "ItemsPath"))
	check(path(eachPartition, "MaxConcurrency") == float64(10), "MaxConcurrency: %v", path(eachPartition, "MaxConcurrency"))
	expectedCatch := asJSON([]any{map[string]any{
		"ErrorEquals": []any{"RetryableEcsRunTask.NotRetryable", "RetryableEcsRunTask.AttemptsExhausted"},
		"Next":        "A partition failed",
	}})
	check(reflect.DeepEqual(path(eachPartition, "Catch"), expectedCatch), "Map Catch: %v", path(eachPartition, "Catch"))

	// Inside the Map: both fragments, each state prefixed with its construct id, Extract first.
	processor := path(eachPartition, "ItemProcessor")
	check(path(processor, "StartAt") == "Extract: Start attempts", "ItemProcessor.StartAt: %v", path(processor, "StartAt"))
	inner, _ := path(processor, "States").(map[string]any)
	for _, name := range keys(inner) {
		check(strings.HasPrefix(name, "Extract: ") || strings.HasPrefix(name, "Load: "), "state inside the Map without a fragment prefix: %s", name)
	}
	for _, fragment := range []string{"Extract", "Load"} {
		for _, state := range []string{"Start attempts", "Run task", "Decide retry", "Retry or fail", "Record result"} {
			_, ok := inner[fragment+": "+state]
			check(ok, "%q missing; states: %v", fragment+": "+state, keys(inner))
		}
		resultPath := "$." + strings.ToLower(fragment)
		catches, _ := path(inner, fragment+": Run task", "Catch").([]any)
		check(len(catches) > 0, "%s: Run task has no Catch", fragment)
		caught, _ := path(catches[0], "ResultPath").(string)
		check(strings.HasPrefix(caught, resultPath+"."), "%s: Run task catches into %s, not under %s", fragment, caught, resultPath)
		payload := path(inner, fragment+": Decide retry", "Parameters")
		run := path(payload, "run")
		check(run == "PartitionPipelineStack/Partitions/"+fragment, "%s decider run name: %v", fragment, run)
		// A fragment that sets no list gets every default; Load sets RetryableExitCodes only.
		exitCodes := []any{}
		if fragment == "Load" {
			exitCodes = []any{75}
		}
		expectedLists := map[string]any{
			"retryableStopCodes":         defaultStopCodes,
			"retryableStoppedReasons":    defaultRetryableStoppedReasons,
			"nonRetryableStoppedReasons": defaultNonRetryableStoppedReasons,
			"retryableErrors":            defaultRetryableErrors,
			"nonRetryableErrorCauses":    defaultNonRetryableErrorCauses,
			"retryableExitCodes":         exitCodes,
		}
		checkLists(fragment, wholePolicy(templateJSON, path(payload, "policy")), expectedLists)
	}
	return fmt.Sprintf("go consumer: PartitionPipeline: a Map of %d states from 2 fragments, 1 Lambda function, in %s",
		len(inner), filepath.Dir(templateFile))
}

func checkWithoutLambda(templateFile string, job cdkretryableecsruntask.RetryableEcsRunTask, pipeline awsstepfunctions.StateMachine) string {
	templateText := readFile(templateFile)
	template := assertions.Template_FromString(jsii.String(templateText), nil)
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(templateText), &templateJSON))

	// Both runs decide in their state machines: no Lambda function in the stack, and no decider.
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(2))
	template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(0))
	check(job.Decider() == nil, "job.Decider(): %v", job.Decider())
	check(job.StateMachineLogGroup() != nil, "job.StateMachineLogGroup() is set")

	// The standalone run's state machine and the pipeline: every state a JSONata state, none a Lambda invocation.
	pipelineID := *awscdk.Stack_Of(pipeline).GetLogicalId(pipeline.Node().DefaultChild().(awscdk.CfnElement))
	definitions := map[string]map[string]any{}
	for id, stateMachine := range resourcesOfType(templateJSON, "AWS::StepFunctions::StateMachine") {
		definition := parseDefinition(path(stateMachine, "Properties", "DefinitionString"))
		name := "job"
		if id == pipelineID {
			name = "pipeline"
		}
		definitions[name] = definition
		states, _ := definition["States"].(map[string]any)
		for _, state := range keys(states) {
			check(path(states, state, "QueryLanguage") == "JSONata", "%s: %q QueryLanguage: %v", name, state, path(states, state, "QueryLanguage"))
			resource, _ := path(states, state, "Resource").(string)
			check(!strings.Contains(resource, "lambda"), "%s: %q invokes %s", name, state, resource)
		}
	}
	check(len(definitions) == 2, "state machines: %v", keys(resourcesOfType(templateJSON, "AWS::StepFunctions::StateMachine")))
	jobStates, _ := definitions["job"]["States"].(map[string]any)
	for _, name := range []string{"Start attempts", "Run task", "Retry or fail", "Back off", "Attempts exhausted", "Not retryable"} {
		_, ok := jobStates[name]
		check(ok, "job: %q missing; states: %v", name, keys(jobStates))
	}
	pipelineStates, _ := definitions["pipeline"]["States"].(map[string]any)
	check(definitions["pipeline"]["StartAt"] == "Extract: Start attempts", "pipeline StartAt: %v", definitions["pipeline"]["StartAt"])
	for _, name := range []string{"Start attempts", "Run task", "Retry or fail", "Back off"} {
		_, ok := pipelineStates["Extract: "+name]
		check(ok, "pipeline: %q missing; states: %v", "Extract: "+name, keys(pipelineStates))
	}

	// The alarm on the standalone run's metric, in its own namespace.
	const jobNamespace = "RetryableEcsRunTask/WithoutLambdaStack/HourlyReportJob/Run"
	template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(2))
	template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace":          jobNamespace,
		"MetricName":         "AttemptsExhausted",
		"Threshold":          1,
		"EvaluationPeriods":  1,
		"ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"TreatMissingData":   "notBreaching",
	})

	// The pipeline logs at level ALL to its log group, on which the fragment counts its metrics.
	logging := path(resourcesOfType(templateJSON, "AWS::StepFunctions::StateMachine")[pipelineID], "Properties", "LoggingConfiguration")
	check(path(logging, "Level") == "ALL", "pipeline LoggingConfiguration.Level: %v", path(logging, "Level"))
	destinations, _ := path(logging, "Destinations").([]any)
	check(len(destinations) == 1, "pipeline Destinations: %v", destinations)
	getAtt, _ := path(destinations[0], "CloudWatchLogsLogGroup", "LogGroupArn", "Fn::GetAtt").([]any)
	check(len(getAtt) == 2 && getAtt[1] == "Arn", "pipeline log group: %v", getAtt)
	pipelineLogGroupID := getAtt[0]
	const extractNamespace = "RetryableEcsRunTask/WithoutLambdaStack/Pipeline/Extract"
	filters := map[string][]string{}
	for _, resource := range resourcesOfType(templateJSON, "AWS::Logs::MetricFilter") {
		transformations, _ := path(resource, "Properties", "MetricTransformations").([]any)
		check(len(transformations) == 1, "MetricTransformations: %v", transformations)
		namespace, _ := path(transformations[0], "MetricNamespace").(string)
		name, _ := path(transformations[0], "MetricName").(string)
		filters[namespace] = append(filters[namespace], name)
		if namespace == extractNamespace {
			check(path(resource, "Properties", "LogGroupName", "Ref") == pipelineLogGroupID,
				"Extract metric filter log group: %v", path(resource, "Properties", "LogGroupName"))
		}
	}
	// A metric filter for each metric asked for, and no other: the job's alarm, the extract's alarm.
	expected := map[string][]string{jobNamespace: {"AttemptsExhausted"}, extractNamespace: {"NotRetryable"}}
	check(reflect.DeepEqual(filters, expected), "metric filters: %v, expected %v", filters, expected)
	template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": extractNamespace, "MetricName": "NotRetryable", "Threshold": 1, "EvaluationPeriods": 1,
	})

	return fmt.Sprintf("go consumer: WithoutLambda: STATE_MACHINE engine, a job of %d and a pipeline of %d JSONata states, "+
		"no Lambda function, alarms on AttemptsExhausted and NotRetryable, metric filters in %s and %s, in %s",
		len(jobStates), len(pipelineStates), jobNamespace, extractNamespace, filepath.Dir(templateFile))
}

func checkWeeklyReport(templateFile string) string {
	templateText := readFile(templateFile)
	template := assertions.Template_FromString(jsii.String(templateText), nil)
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(templateText), &templateJSON))

	// Still one state machine and one Lambda function: both adaptations are states and data.
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
	template.HasResourceProperties(jsii.String("AWS::ECS::ClusterCapacityProviderAssociations"), map[string]any{
		"CapacityProviders": assertions.Match_ArrayWith(&[]any{"FARGATE", "FARGATE_SPOT"}),
	})

	definition := parseDefinition(path(onlyResourceOfType(templateJSON, "AWS::StepFunctions::StateMachine"), "Properties", "DefinitionString"))
	states, _ := definition["States"].(map[string]any)
	for _, name := range []string{"Start attempts", "Choose launch target", "Run task", "Run task on fallback",
		"Decide retry", "Retry or fail", "Next attempt", "Record result"} {
		_, ok := states[name]
		check(ok, "%q missing; states: %v", name, keys(states))
	}

	// The first attempt runs at the task definition's size on the primary; later ones where the decider says.
	placement := path(states, "Start attempts", "Parameters", "placement")
	expectedPlacement := asJSON(map[string]any{"sizeIndex": 0, "capacity": "primary", "size": expectedSizes[0]})
	check(reflect.DeepEqual(placement, expectedPlacement), "\"Start attempts\" placement:\n  got      %v\n  expected %v", placement, expectedPlacement)
	check(path(states, "Start attempts", "Next") == "Choose launch target", "\"Start attempts\" Next: %v", path(states, "Start attempts", "Next"))
	nextPlacement := path(states, "Next attempt", "Parameters", "placement.$")
	check(nextPlacement == "$.retryableEcsRunTask.failures.next", "\"Next attempt\" placement: %v", nextPlacement)
	expectedChoices := asJSON([]any{map[string]any{
		"Variable": "$.retryableEcsRunTask.placement.capacity", "StringEquals": "fallback", "Next": "Run task on fallback",
	}})
	choices := path(states, "Choose launch target", "Choices")
	check(reflect.DeepEqual(choices, expectedChoices), "\"Choose launch target\" Choices: %v", choices)
	check(path(states, "Choose launch target", "Default") == "Run task", "\"Choose launch target\" Default: %v", path(states, "Choose launch target", "Default"))

	// Each RunTask names its capacity provider, and both read the attempt's size from its placement.
	for state, provider := range map[string]string{"Run task": "FARGATE_SPOT", "Run task on fallback": "FARGATE"} {
		parameters := path(states, state, "Parameters")
		strategy := path(parameters, "CapacityProviderStrategy")
		expectedStrategy := asJSON([]any{map[string]any{"CapacityProvider": provider, "Weight": 1}})
		check(reflect.DeepEqual(strategy, expectedStrategy), "%q CapacityProviderStrategy: %v", state, strategy)
		for field, key := range map[string]string{"Cpu.$": "cpu", "Memory.$": "memoryMiB"} {
			expected := "States.Format('{}', $.retryableEcsRunTask.placement.size." + key + ")"
			got := path(parameters, "Overrides", field)
			check(got == expected, "%q Overrides.%s: %v", state, field, got)
		}
	}

	// The decider gets the size ladder and the default fallback rules.
	policy := wholePolicy(templateJSON, path(states, "Decide retry", "Parameters", "policy"))
	check(reflect.DeepEqual(path(policy, "sizes"), asJSON(expectedSizes)),
		"policy.sizes:\n  got      %v\n  expected %v", path(policy, "sizes"), asJSON(expectedSizes))
	check(reflect.DeepEqual(path(policy, "fallback"), asJSON(expectedFallbackDefaults)),
		"policy.fallback:\n  got      %v\n  expected %v", path(policy, "fallback"), asJSON(expectedFallbackDefaults))
	check(path(policy, "maxAttempts") == float64(4), "policy.maxAttempts: %v", path(policy, "maxAttempts"))

	// A retry goes ahead only with a well-formed placement from the decider.
	retryChoice, err := json.Marshal(path(states, "Retry or fail", "Choices"))
	must(err)
	for _, field := range []string{"capacity", "size.cpu", "size.memoryMiB"} {
		check(strings.Contains(string(retryChoice), `"$.retryableEcsRunTask.failures.next.`+field+`"`),
			"\"Retry or fail\" does not check next.%s: %s", field, retryChoice)
	}

	return fmt.Sprintf("go consumer: WeeklyReport: FARGATE_SPOT then FARGATE, %d sizes, default fallback rules, %d states, "+
		"1 Lambda function, in %s", len(expectedSizes), len(states), filepath.Dir(templateFile))
}

func checkExportJob(templateFile string) string {
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(readFile(templateFile)), &templateJSON))

	definition := parseDefinition(path(onlyResourceOfType(templateJSON, "AWS::StepFunctions::StateMachine"), "Properties", "DefinitionString"))
	states, _ := definition["States"].(map[string]any)
	policy := wholePolicy(templateJSON, path(states, "Decide retry", "Parameters", "policy"))
	checkLists("ExportJob", policy, expectedExportLists)
	check(path(states, "Run task", "TimeoutSeconds") == float64(3600), "\"Run task\" TimeoutSeconds: %v", path(states, "Run task", "TimeoutSeconds"))

	// Appending to and filtering what RetryDefaults returned left the defaults as they were.
	defaults := map[string]any{
		"RETRYABLE_STOPPED_REASONS":  cdkretryableecsruntask.RetryDefaults_RETRYABLE_STOPPED_REASONS(),
		"RETRYABLE_ERRORS":           cdkretryableecsruntask.RetryDefaults_RETRYABLE_ERRORS(),
		"NON_RETRYABLE_ERROR_CAUSES": cdkretryableecsruntask.RetryDefaults_NON_RETRYABLE_ERROR_CAUSES(),
	}
	expectedDefaults := map[string]any{
		"RETRYABLE_STOPPED_REASONS":  defaultRetryableStoppedReasons,
		"RETRYABLE_ERRORS":           defaultRetryableErrors,
		"NON_RETRYABLE_ERROR_CAUSES": defaultNonRetryableErrorCauses,
	}
	for name, value := range defaults {
		check(reflect.DeepEqual(asJSON(value), asJSON(expectedDefaults[name])), "RetryDefaults_%s(): %v", name, asJSON(value))
	}

	return fmt.Sprintf("go consumer: ExportJob: 2 default lists extended, 1 filtered, the defaults unchanged, in %s",
		filepath.Dir(templateFile))
}

// checkLists checks each list of a rendered policy.
func checkLists(run string, policy any, expected map[string]any) {
	for name, list := range expected {
		got := path(policy, name)
		check(reflect.DeepEqual(got, asJSON(list)), "%s %s:\n  got      %v\n  expected %v", run, name, got, asJSON(list))
	}
}

// synthBatchJobs puts three runs in one stack, the Lambda engine with a topic, the state machine
// engine, and a state machine engine step of a workflow, with NewBatchJobsDashboard, in an app of
// its own. It returns the template file.
func synthBatchJobs(outdir string) string {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: &outdir})
	stack, cluster := exampleStack(app, "BatchJobsStack", awsecs.ClusterProps{})
	task := fargateTask(stack, "Task", "job")
	nightly := cdkretryableecsruntask.NewRetryableEcsRunTask(stack, jsii.String("NightlyReport"), &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster: cluster, TaskDefinition: task, FailureTopic: awssns.NewTopic(stack, jsii.String("Alerts"), nil),
	})
	stateMachineEngine := cdkretryableecsruntask.DecisionEngine_STATE_MACHINE()
	hourly := cdkretryableecsruntask.NewRetryableEcsRunTask(stack, jsii.String("HourlyReport"), &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster: cluster, TaskDefinition: task, DecisionEngine: stateMachineEngine,
	})
	workflowLogs := awslogs.NewLogGroup(stack, jsii.String("PipelineLogs"), nil)
	load := cdkretryableecsruntask.NewRetryableEcsRunTaskFragment(stack, jsii.String("Load"), &cdkretryableecsruntask.RetryableEcsRunTaskFragmentProps{
		Cluster: cluster, TaskDefinition: task, DecisionEngine: stateMachineEngine, StateMachineLogGroup: workflowLogs,
	})
	awsstepfunctions.NewStateMachine(stack, jsii.String("Pipeline"), &awsstepfunctions.StateMachineProps{
		DefinitionBody: awsstepfunctions.DefinitionBody_FromChainable(load),
		Logs:           &awsstepfunctions.LogOptions{Destination: workflowLogs, Level: awsstepfunctions.LogLevel_ALL},
	})
	NewBatchJobsDashboard(stack, nightly, hourly, load)
	assembly := app.Synth(nil)
	return filepath.Join(*assembly.Directory(), *assembly.GetStackArtifact(stack.ArtifactId()).TemplateFile())
}

// checkBatchJobs checks that the dashboard exists, and that every metric its widgets name is one
// of the three runs' own.
func checkBatchJobs(templateFile string) string {
	var templateJSON map[string]any
	must(json.Unmarshal([]byte(readFile(templateFile)), &templateJSON))
	body := parseDefinition(path(onlyResourceOfType(templateJSON, "AWS::CloudWatch::Dashboard"), "Properties", "DashboardBody"))
	published := map[string]bool{}
	for _, filter := range resourcesOfType(templateJSON, "AWS::Logs::MetricFilter") {
		transformations, _ := path(filter, "Properties", "MetricTransformations").([]any)
		for _, t := range transformations {
			var dimensionKeys []string
			dimensions, _ := path(t, "Dimensions").([]any)
			for _, d := range dimensions {
				dimensionKeys = append(dimensionKeys, fmt.Sprint(path(d, "Key")))
			}
			sort.Strings(dimensionKeys)
			published[fmt.Sprintf("%v %v %v", path(t, "MetricNamespace"), path(t, "MetricName"), dimensionKeys)] = true
		}
	}
	var titles []string
	searches := 0
	widgets, _ := body["widgets"].([]any)
	for _, widget := range widgets {
		titles = append(titles, fmt.Sprint(path(widget, "properties", "title")))
		metrics, _ := path(widget, "properties", "metrics").([]any)
		for _, m := range metrics {
			entry, _ := m.([]any)
			if expression, isSearch := path(entry[0], "expression").(string); isSearch {
				check(strings.Contains(expression, `Run="BatchJobsStack/NightlyReport/Run"`), "SEARCH of another run: %s", expression)
				check(published["RetryableEcsRunTask Retries [Rule Run]"], "no per-rule Retries filter: %v", keys(published))
				searches++
				continue
			}
			namespace := fmt.Sprint(entry[0])
			dimensions := map[string]string{}
			for i := 2; i+1 < len(entry); i += 2 {
				name, isName := entry[i].(string)
				if !isName {
					break
				}
				dimensions[name] = fmt.Sprint(entry[i+1])
			}
			if namespace == "AWS/States" {
				check(reflect.DeepEqual(keys(dimensions), []string{"StateMachineArn"}), "AWS/States metric: %v", entry)
				continue
			}
			metric := fmt.Sprintf("%s %v %v", namespace, entry[1], keys(dimensions))
			check(published[metric], "no metric filter for %v; filters: %v", entry, keys(published))
			if run, hasRun := dimensions["Run"]; hasRun {
				check(run == "BatchJobsStack/NightlyReport/Run", "metric of another run: %v", entry)
			} else {
				check(namespace == "RetryableEcsRunTask/BatchJobsStack/HourlyReport/Run" || namespace == "RetryableEcsRunTask/BatchJobsStack/Load",
					"namespace of another run: %v", entry)
			}
		}
	}
	for _, prefix := range []string{"BatchJobsStack/NightlyReport: ", "BatchJobsStack/HourlyReport: ", "Pipeline: load: "} {
		found := false
		for _, title := range titles {
			found = found || strings.HasPrefix(title, prefix)
		}
		check(found, "no widget title starts with %q: %v", prefix, titles)
	}
	check(searches == 1, "%d SEARCH expressions", searches)
	return fmt.Sprintf("go consumer: BatchJobsStack: %d widgets of 3 runs on one dashboard, each naming a metric of its run", len(titles))
}

// wholePolicy is the whole policy of a LAMBDA_FUNCTION run, as its decider makes it
// (src/decider/whole-policy.ts): "Decide retry" sends what differs from the default policy, with
// the defaults' id, and the template's decider function has the defaults in its environment
// variable RETRY_POLICY_DEFAULTS. The default fallback rules only for a run with a fallback.
func wholePolicy(template map[string]any, policyDiff any) map[string]any {
	var deciders []map[string]any
	for _, function := range resourcesOfType(template, "AWS::Lambda::Function") {
		if _, ok := path(function, "Properties", "Environment", "Variables", "RETRY_POLICY_DEFAULTS").(string); ok {
			deciders = append(deciders, function)
		}
	}
	check(len(deciders) == 1, "one decider function with RETRY_POLICY_DEFAULTS in its environment, found %d", len(deciders))
	var defaults map[string]any
	must(json.Unmarshal([]byte(path(deciders[0], "Properties", "Environment", "Variables", "RETRY_POLICY_DEFAULTS").(string)), &defaults))
	diff, ok := policyDiff.(map[string]any)
	check(ok, "Decide retry policy: %v", policyDiff)
	id, ok := defaults["id"].(string)
	check(ok, "RETRY_POLICY_DEFAULTS id: %v", defaults["id"])
	check(diff["defaultsId"] == id, "Decide retry names defaults %v, the decider has %v", diff["defaultsId"], id)
	defaultPolicy, _ := defaults["policy"].(map[string]any)
	policy := map[string]any{}
	for key, value := range defaultPolicy {
		if key != "fallback" {
			policy[key] = value
		}
	}
	for key, value := range diff {
		if key != "defaultsId" {
			policy[key] = value
		}
	}
	if fallbackDiff, ok := diff["fallback"].(map[string]any); ok {
		fallback := map[string]any{}
		for key, value := range defaultPolicy["fallback"].(map[string]any) {
			fallback[key] = value
		}
		for key, value := range fallbackDiff {
			fallback[key] = value
		}
		policy["fallback"] = fallback
	}
	return policy
}

func resourcesOfType(template map[string]any, resourceType string) map[string]map[string]any {
	found := map[string]map[string]any{}
	resources, _ := template["Resources"].(map[string]any)
	for id, r := range resources {
		resource, _ := r.(map[string]any)
		if resource["Type"] == resourceType {
			found[id] = resource
		}
	}
	return found
}

func onlyLogicalIDOfType(template map[string]any, resourceType string) string {
	found := resourcesOfType(template, resourceType)
	check(len(found) == 1, "one %s, found %d", resourceType, len(found))
	for id := range found {
		return id
	}
	return ""
}

func onlyResourceOfType(template map[string]any, resourceType string) map[string]any {
	return resourcesOfType(template, resourceType)[onlyLogicalIDOfType(template, resourceType)]
}

// parseDefinition joins an Fn::Join definition, each token replaced by a placeholder string, and parses it.
func parseDefinition(definitionString any) map[string]any {
	text, isString := definitionString.(string)
	if !isString {
		join, _ := path(definitionString, "Fn::Join").([]any)
		check(len(join) == 2, "DefinitionString: %v", definitionString)
		separator, _ := join[0].(string)
		parts, _ := join[1].([]any)
		joined := make([]string, len(parts))
		for i, part := range parts {
			if s, ok := part.(string); ok {
				joined[i] = s
			} else {
				joined[i] = "TOKEN"
			}
		}
		text = strings.Join(joined, separator)
	}
	var definition map[string]any
	must(json.Unmarshal([]byte(text), &definition))
	return definition
}

// path follows object keys through decoded JSON; it is nil where a key is missing.
func path(node any, keys ...string) any {
	for _, key := range keys {
		object, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = object[key]
	}
	return node
}

// asJSON is a value as encoding/json decodes it (numbers as float64), for comparing with decoded JSON.
func asJSON(value any) any {
	encoded, err := json.Marshal(value)
	must(err)
	var decoded any
	must(json.Unmarshal(encoded, &decoded))
	return decoded
}

func plus(list []any, element any) []any {
	return append(append([]any{}, list...), element)
}

func keys[V any](object map[string]V) []string {
	names := make([]string, 0, len(object))
	for name := range object {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func readFile(name string) string {
	content, err := os.ReadFile(name)
	must(err)
	return string(content)
}

func check(condition bool, format string, args ...any) {
	if !condition {
		panic(fmt.Sprintf(format, args...))
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
