package com.example.nightlyreport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.cdkretryableecsruntask.DecisionEngine;
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import io.github.cdkretryableecsruntask.RetryableEcsRunTaskFragment;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.CloudAssembly;
import software.amazon.awscdk.cxapi.CloudFormationStackArtifact;
import software.amazon.awscdk.cxapi.SynthesisMessage;
import software.amazon.awscdk.cxapi.SynthesisMessageLevel;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.stepfunctions.DefinitionBody;
import software.amazon.awscdk.services.stepfunctions.LogLevel;
import software.amazon.awscdk.services.stepfunctions.LogOptions;
import software.amazon.awscdk.services.stepfunctions.StateMachine;

/**
 * A user's CDK app: synthesizes {@link NightlyReportStack}, a stack with a {@link PartitionPipeline},
 * a stack with a {@link QuarterlyReport}, a {@link HourlyReportStack} and a stack with a
 * {@link BatchJobsDashboard}, and checks its own cloud assemblies.
 * Any failed check exits non-zero. consumers/run.sh runs it; it never deploys.
 */
public final class ConsumerApp {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The default lists, as README documents them. */
    private static final List<String> DEFAULT_STOP_CODES =
            List.of("TaskFailedToStart", "SpotInterruption", "TerminationNotice", "InfrastructureHealth");
    private static final List<String> DEFAULT_RETRYABLE_STOPPED_REASONS = List.of(
            "ResourceInitializationError:*",
            "CannotPullContainerError:*",
            "Timeout waiting for network interface provisioning*",
            "Host EC2 (instance *) stopped/terminated*");
    private static final List<String> DEFAULT_NON_RETRYABLE_STOPPED_REASONS = List.of(
            "CannotPullContainerError:*not found*",
            "CannotPullContainerError:*manifest unknown*",
            "CannotPullContainerError:*repository does not exist*",
            "CannotPullContainerError:*access denied*",
            "CannotPullContainerError:*403 Forbidden*",
            "CannotPullContainerError:*401 Unauthorized*",
            "ResourceInitializationError:*AccessDenied*",
            "ResourceInitializationError:*ResourceNotFoundException*",
            "ResourceInitializationError:*ParameterNotFound*",
            "CannotStartContainerError:*executable file not found*");
    private static final List<String> DEFAULT_RETRYABLE_ERRORS =
            List.of("ECS.AmazonECSException", "ECS.ServerException", "AmazonECS.Unknown");
    private static final List<String> DEFAULT_NON_RETRYABLE_ERROR_CAUSES = List.of(
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
            "*Error Code: AccessDeniedException*");

    /**
     * The policy NightlyReportStack must render into the "Decide retry" invocation: each list is the
     * default followed by what the example adds.
     */
    private static final Map<String, Object> EXPECTED_POLICY = Map.ofEntries(
            Map.entry("maxAttempts", 5),
            Map.entry("intervalSeconds", 10),
            Map.entry("backoffRate", 1.5),
            Map.entry("maxDelaySeconds", 120),
            Map.entry("jitter", "NONE"),
            Map.entry("retryableStopCodes", plus(DEFAULT_STOP_CODES, "SomeFutureStopCode")),
            Map.entry("retryableStoppedReasons", plus(DEFAULT_RETRYABLE_STOPPED_REASONS, "CannotCreateContainerError:*")),
            Map.entry("nonRetryableStoppedReasons",
                    plus(DEFAULT_NON_RETRYABLE_STOPPED_REASONS, "CannotPullContainerError:*no matching manifest*")),
            Map.entry("retryableExitCodes", List.of(75, 69)),
            Map.entry("retryableErrors", plus(DEFAULT_RETRYABLE_ERRORS, "States.Timeout")),
            Map.entry("nonRetryableErrorCauses", DEFAULT_NON_RETRYABLE_ERROR_CAUSES));

    /** The default fallback rules, as README documents them ("Fallback rules"). */
    private static final Map<String, Object> EXPECTED_FALLBACK_DEFAULTS = Map.of(
            "stopCodes", List.of("SpotInterruption", "TerminationNotice"),
            "stoppedReasons", List.of(
                    "Your Spot Task was interrupted*",
                    "TaskFailedToStart: RESOURCE:*",
                    "TaskFailedToStart: NO ACTIVE INSTANCES*",
                    "TaskFailedToStart: EMPTY CAPACITY PROVIDER*"),
            "errorCauses", List.of("Capacity is unavailable at this time*", "RESOURCE:*"));

    /**
     * The size ladder QuarterlyReport must render into the decider's policy: the task definition's
     * own size, then each of outOfMemorySizes. No container has a hard memory limit to scale.
     */
    private static final List<Map<String, Object>> EXPECTED_SIZES = List.of(
            Map.of("cpu", 1024, "memoryMiB", 2048, "containerMemoryMiB", List.of()),
            Map.of("cpu", 1024, "memoryMiB", 4096, "containerMemoryMiB", List.of()),
            Map.of("cpu", 2048, "memoryMiB", 8192, "containerMemoryMiB", List.of()));

    /**
     * The policy HourlyReportStack renders into the comment of its "Retry or fail" state: the
     * defaults and what it sets.
     */
    private static final Map<String, Object> EXPECTED_HOURLY_POLICY = Map.ofEntries(
            Map.entry("maxAttempts", 6),
            Map.entry("intervalSeconds", 15),
            Map.entry("backoffRate", 2),
            Map.entry("maxDelaySeconds", 240),
            Map.entry("jitter", "FULL"),
            Map.entry("retryableStopCodes", DEFAULT_STOP_CODES),
            Map.entry("retryableStoppedReasons", DEFAULT_RETRYABLE_STOPPED_REASONS),
            Map.entry("nonRetryableStoppedReasons", DEFAULT_NON_RETRYABLE_STOPPED_REASONS),
            Map.entry("retryableExitCodes", List.of(75)),
            Map.entry("retryableErrors", DEFAULT_RETRYABLE_ERRORS),
            Map.entry("nonRetryableErrorCauses", DEFAULT_NON_RETRYABLE_ERROR_CAUSES));

    /** The attempt number reaches every container of the task definition, as README documents it. */
    private static final String ATTEMPT_VARIABLE = "RETRYABLE_ECS_RUN_TASK_ATTEMPT";

    private ConsumerApp() {
    }

    public static void main(final String[] args) {
        int status;
        try {
            App app = new App();
            NightlyReportStack stack = new NightlyReportStack(app, "NightlyReportStack", StackProps.builder().build());
            Stack pipelineStack = partitionPipelineStack(app);
            Stack quarterlyStack = quarterlyReportStack(app);
            HourlyReportStack hourlyStack = new HourlyReportStack(app, "HourlyReportStack", StackProps.builder().build());
            CloudAssembly assembly = app.synth();
            check(stack.getJob().getStateMachine() != null, "job.getStateMachine() is set");
            check(stack.getJob().getDecider() != null, "job.getDecider() is set");
            System.out.println(checkDecisionEngineNames(stack.getJob()));
            Path outdir = Path.of(assembly.getDirectory());
            System.out.println(checkAssembly(outdir,
                    outdir.resolve(assembly.getStackArtifact(stack.getArtifactId()).getTemplateFile())));
            System.out.println(checkPartitionPipeline(
                    outdir.resolve(assembly.getStackArtifact(pipelineStack.getArtifactId()).getTemplateFile())));
            CloudFormationStackArtifact quarterlyArtifact = assembly.getStackArtifact(quarterlyStack.getArtifactId());
            // Synth warns when the fallback would run the task just as the primary does; these two differ.
            List<Object> warnings = new ArrayList<>();
            for (SynthesisMessage message : quarterlyArtifact.getMessages()) {
                if (message.getLevel() == SynthesisMessageLevel.WARNING) {
                    warnings.add(message.getEntry().getData());
                }
            }
            check(warnings.isEmpty(), "QuarterlyReportStack: synth warnings: " + warnings);
            System.out.println(checkQuarterlyReport(outdir.resolve(quarterlyArtifact.getTemplateFile())));
            System.out.println(checkHourlyReport(
                    outdir.resolve(assembly.getStackArtifact(hourlyStack.getArtifactId()).getTemplateFile()), hourlyStack.getJob()));
            System.out.println(checkBatchJobs(synthBatchJobs(outdir.getParent().resolve("cdk.out.batch-jobs"))));
            status = 0;
        } catch (Throwable error) { // a failed check, or a failed assertions check raised through jsii
            System.err.println("java consumer: FAILED: " + error);
            status = 1;
        }
        // jsii's node child process must not keep the JVM alive.
        System.exit(status);
    }

    /** A stack of its own for a PartitionPipeline, with the cluster and the two task definitions it is given. */
    private static Stack partitionPipelineStack(final App app) {
        Stack stack = new Stack(app, "PartitionPipelineStack");
        Vpc vpc = Vpc.Builder.create(stack, "Vpc").maxAzs(2).natGateways(1).build();
        Cluster cluster = Cluster.Builder.create(stack, "Cluster").vpc(vpc).build();
        List<FargateTaskDefinition> tasks = new ArrayList<>();
        for (String name : List.of("extract", "load")) {
            FargateTaskDefinition task = new FargateTaskDefinition(stack, name + "Task");
            task.addContainer(name, ContainerDefinitionOptions.builder()
                    .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable"))
                    .command(List.of("sh", "-c", "echo " + name + " attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"))
                    .build());
            tasks.add(task);
        }
        PartitionPipeline pipeline = new PartitionPipeline(stack, "Partitions", cluster, tasks.get(0), tasks.get(1));
        check(pipeline.getStateMachine() != null, "pipeline.getStateMachine() is set");
        return stack;
    }

    /** A stack of its own for a QuarterlyReport, with a cluster that has the Fargate capacity providers. */
    private static Stack quarterlyReportStack(final App app) {
        Stack stack = new Stack(app, "QuarterlyReportStack");
        Vpc vpc = Vpc.Builder.create(stack, "Vpc").maxAzs(2).natGateways(1).build();
        Cluster cluster = Cluster.Builder.create(stack, "Cluster").vpc(vpc).enableFargateCapacityProviders(true).build();
        QuarterlyReport report = new QuarterlyReport(stack, "QuarterlyReport", cluster);
        check(report.getJob().getStateMachine() != null, "report.getJob().getStateMachine() is set");
        return stack;
    }

    /**
     * The Lambda engine has one name in every language: LAMBDA_FUNCTION. Its first name, LAMBDA, is
     * deprecated, and the same engine.
     */
    @SuppressWarnings("deprecation")
    private static String checkDecisionEngineNames(final RetryableEcsRunTask job) {
        check(DecisionEngine.LAMBDA == DecisionEngine.LAMBDA_FUNCTION, "DecisionEngine.LAMBDA is not DecisionEngine.LAMBDA_FUNCTION");
        check("LAMBDA".equals(DecisionEngine.LAMBDA_FUNCTION.getName()), "DecisionEngine.LAMBDA_FUNCTION.getName(): " + DecisionEngine.LAMBDA_FUNCTION.getName());
        check(job.getFragment().getDecisionEngine() == DecisionEngine.LAMBDA_FUNCTION, "NightlyReportJob's engine is not DecisionEngine.LAMBDA_FUNCTION");
        return "java consumer: NightlyReportJob on DecisionEngine.LAMBDA_FUNCTION, and the deprecated DecisionEngine.LAMBDA is the same engine";
    }

    private static String checkQuarterlyReport(final Path templateFile) throws IOException {
        String templateText = Files.readString(templateFile);
        Template template = Template.fromString(templateText);
        JsonNode templateJson = JSON.readTree(templateText);

        // Still one state machine and one Lambda function: both adaptations are states and data.
        template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        template.resourceCountIs("AWS::Lambda::Function", 1);
        template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations",
                Map.of("CapacityProviders", Match.arrayWith(List.of("FARGATE", "FARGATE_SPOT"))));

        JsonNode stateMachine = onlyResourceOfType(templateJson, "AWS::StepFunctions::StateMachine");
        JsonNode states = parseDefinition(stateMachine.path("Properties").path("DefinitionString")).path("States");
        for (String state : List.of("Start attempts", "Choose launch target", "Run task", "Run task on fallback",
                "Decide retry", "Retry or fail", "Next attempt", "Record result")) {
            check(states.has(state), "\"" + state + "\" missing; states: " + fieldNames(states));
        }

        // The first attempt runs at the task definition's size on the primary; later ones where the decider says.
        JsonNode expectedPlacement = JSON.valueToTree(Map.of("sizeIndex", 0, "capacity", "primary", "size", EXPECTED_SIZES.get(0)));
        JsonNode placement = states.path("Start attempts").path("Parameters").path("placement");
        check(expectedPlacement.equals(placement), "\"Start attempts\" placement:\n  got      " + placement + "\n  expected " + expectedPlacement);
        check("Choose launch target".equals(states.path("Start attempts").path("Next").asText()), "\"Start attempts\" Next");
        check("$.retryableEcsRunTask.failures.next".equals(states.path("Next attempt").path("Parameters").path("placement.$").asText()),
                "\"Next attempt\" placement: " + states.path("Next attempt").path("Parameters").path("placement.$"));
        JsonNode choose = states.path("Choose launch target");
        JsonNode expectedChoices = JSON.valueToTree(List.of(Map.of(
                "Variable", "$.retryableEcsRunTask.placement.capacity", "StringEquals", "fallback", "Next", "Run task on fallback")));
        check(expectedChoices.equals(choose.path("Choices")), "\"Choose launch target\" Choices: " + choose.path("Choices"));
        check("Run task".equals(choose.path("Default").asText()), "\"Choose launch target\" Default: " + choose.path("Default"));

        // Each RunTask names its capacity provider, and both read the attempt's size from its placement.
        for (Map.Entry<String, String> run : Map.of("Run task", "FARGATE_SPOT", "Run task on fallback", "FARGATE").entrySet()) {
            JsonNode parameters = states.path(run.getKey()).path("Parameters");
            JsonNode expectedStrategy = JSON.valueToTree(List.of(Map.of("CapacityProvider", run.getValue(), "Weight", 1)));
            check(expectedStrategy.equals(parameters.path("CapacityProviderStrategy")),
                    run.getKey() + " CapacityProviderStrategy: " + parameters.path("CapacityProviderStrategy"));
            for (Map.Entry<String, String> field : Map.of("Cpu.$", "cpu", "Memory.$", "memoryMiB").entrySet()) {
                String expected = "States.Format('{}', $.retryableEcsRunTask.placement.size." + field.getValue() + ")";
                JsonNode got = parameters.path("Overrides").path(field.getKey());
                check(expected.equals(got.asText()), run.getKey() + " Overrides." + field.getKey() + ": " + got);
            }
        }

        // The decider gets the size ladder and the default fallback rules.
        JsonNode policy = wholePolicy(templateJson, states.path("Decide retry").path("Parameters").path("policy"));
        JsonNode expectedSizes = JSON.valueToTree(EXPECTED_SIZES);
        check(policy.path("sizes").size() == 3 && expectedSizes.equals(policy.path("sizes")),
                "policy.sizes:\n  got      " + policy.path("sizes") + "\n  expected " + expectedSizes);
        JsonNode expectedFallback = JSON.valueToTree(EXPECTED_FALLBACK_DEFAULTS);
        check(expectedFallback.equals(policy.path("fallback")),
                "policy.fallback:\n  got      " + policy.path("fallback") + "\n  expected " + expectedFallback);
        check(policy.path("maxAttempts").asInt() == 4, "policy.maxAttempts: " + policy.path("maxAttempts"));

        // A retry goes ahead only with a well-formed placement from the decider.
        String retryChoice = states.path("Retry or fail").path("Choices").path(0).toString();
        for (String path : List.of("$.retryableEcsRunTask.failures.next.capacity", "$.retryableEcsRunTask.failures.next.size.cpu",
                "$.retryableEcsRunTask.failures.next.size.memoryMiB")) {
            check(retryChoice.contains("\"" + path + "\""), "\"Retry or fail\" does not check " + path + ": " + retryChoice);
        }

        return "java consumer: QuarterlyReport: FARGATE_SPOT then FARGATE, 3 sizes, default fallback rules, "
                + states.size() + " states, 1 Lambda function, in " + templateFile.getParent();
    }

    private static String checkHourlyReport(final Path templateFile, final RetryableEcsRunTask job) throws IOException {
        String templateText = Files.readString(templateFile);
        Template template = Template.fromString(templateText);
        JsonNode templateJson = JSON.readTree(templateText);

        // The state machine decides by itself: no Lambda function in the stack, and no decider on the run.
        template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        template.resourceCountIs("AWS::Lambda::Function", 0);
        check(job.getDecider() == null, "job.getDecider(): " + job.getDecider());
        check(job.getDeciderLogGroup() == null, "job.getDeciderLogGroup(): " + job.getDeciderLogGroup());
        check(job.getStateMachineLogGroup() != null, "job.getStateMachineLogGroup() is set");

        JsonNode stateMachine = onlyResourceOfType(templateJson, "AWS::StepFunctions::StateMachine");
        JsonNode states = parseDefinition(stateMachine.path("Properties").path("DefinitionString")).path("States");
        for (String state : List.of("Start attempts", "Run task", "Retry or fail", "Back off", "Attempts exhausted", "Not retryable")) {
            check(states.has(state), "\"" + state + "\" missing; states: " + fieldNames(states));
        }
        check(!states.has("Decide retry"), "no \"Decide retry\" state");
        // Every state is a JSONata state, so the run works inside a JSONPath workflow too.
        for (String name : fieldNames(states)) {
            check("JSONata".equals(states.path(name).path("QueryLanguage").asText()),
                    "\"" + name + "\" QueryLanguage: " + states.path(name).path("QueryLanguage"));
        }

        // The policy the decisions apply, as data in the variable "Start attempts" assigns, with the wait after each attempt.
        JsonNode retryOrFail = states.path("Retry or fail");
        check("Choice".equals(retryOrFail.path("Type").asText()), "\"Retry or fail\" is a " + retryOrFail.path("Type"));
        com.fasterxml.jackson.databind.node.ObjectNode policy = states.path("Start attempts").path("Assign").path("retry_policy").deepCopy();
        JsonNode waits = policy.remove("waits");
        check(waits != null && waits.size() == ((Number) EXPECTED_HOURLY_POLICY.get("maxAttempts")).intValue() - 1, "waits: " + waits);
        JsonNode expectedPolicy = JSON.valueToTree(EXPECTED_HOURLY_POLICY);
        check(expectedPolicy.equals(policy), "rendered policy differs:\n  got      " + policy + "\n  expected " + expectedPolicy);

        // Every attempt passes its number to the container, as a JSONata expression.
        JsonNode overrides = states.path("Run task").path("Arguments").path("Overrides").path("ContainerOverrides");
        JsonNode expectedOverrides = JSON.valueToTree(List.of(Map.of(
                "Name", "report",
                "Environment", List.of(Map.of("Name", ATTEMPT_VARIABLE, "Value", "{% $string($retry_attempt) %}")))));
        check(expectedOverrides.equals(overrides),
                "\"Run task\" ContainerOverrides:\n  got      " + overrides + "\n  expected " + expectedOverrides);

        // The state machine logs at level ALL, without execution data, to a log group of its own that keeps a month.
        JsonNode logging = stateMachine.path("Properties").path("LoggingConfiguration");
        check("ALL".equals(logging.path("Level").asText()), "LoggingConfiguration.Level: " + logging.path("Level"));
        check(logging.path("IncludeExecutionData").isBoolean() && !logging.path("IncludeExecutionData").asBoolean(),
                "IncludeExecutionData: " + logging.path("IncludeExecutionData"));
        check(logging.path("Destinations").size() == 1, "Destinations: " + logging.path("Destinations"));
        JsonNode getAtt = logging.path("Destinations").path(0).path("CloudWatchLogsLogGroup").path("LogGroupArn").path("Fn::GetAtt");
        String logGroupId = getAtt.path(0).asText();
        check("Arn".equals(getAtt.path(1).asText()), "log group attribute: " + getAtt);
        JsonNode logGroup = templateJson.path("Resources").path(logGroupId);
        check("AWS::Logs::LogGroup".equals(logGroup.path("Type").asText()), logGroupId + " is a " + logGroup.path("Type"));
        check(logGroup.path("Properties").path("RetentionInDays").asInt() == 30,
                "RetentionInDays: " + logGroup.path("Properties").path("RetentionInDays"));

        // The metrics are counted from that log, in a namespace of the run's own: its construct path, '(' and ')' replaced.
        String namespace = "RetryableEcsRunTask/HourlyReportStack/Hourly report _no Lambda_/Run";
        check(namespace.equals(job.metricRetries().getNamespace()), "metricRetries().getNamespace(): " + job.metricRetries().getNamespace());
        check("Retries".equals(job.metricRetries().getMetricName()), "metricRetries().getMetricName(): " + job.metricRetries().getMetricName());
        List<String> metricNames = new ArrayList<>();
        for (JsonNode resource : templateJson.path("Resources")) {
            if ("AWS::Logs::MetricFilter".equals(resource.path("Type").asText())) {
                JsonNode properties = resource.path("Properties");
                JsonNode transformation = properties.path("MetricTransformations").path(0);
                metricNames.add(transformation.path("MetricName").asText());
                check(logGroupId.equals(properties.path("LogGroupName").path("Ref").asText()),
                        "metric filter log group: " + properties.path("LogGroupName"));
                check(namespace.equals(transformation.path("MetricNamespace").asText()),
                        "metric filter namespace: " + transformation.path("MetricNamespace"));
            }
        }
        metricNames.sort(null);
        check(metricNames.equals(List.of("AttemptsExhausted", "NotRetryable", "Retries")), "metric filters: " + metricNames);

        return "java consumer: HourlyReportStack: STATE_MACHINE engine, " + states.size() + " JSONata states, policy as passed, "
                + "no Lambda function, " + metricNames.size() + " metric filters in " + namespace + ", in " + templateFile.getParent();
    }

    private static String checkPartitionPipeline(final Path templateFile) throws IOException {
        String templateText = Files.readString(templateFile);
        Template template = Template.fromString(templateText);
        JsonNode templateJson = JSON.readTree(templateText);

        // The user's state machine, and one Lambda function: the decider both fragments share.
        template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        template.resourceCountIs("AWS::Lambda::Function", 1);

        JsonNode stateMachine = onlyResourceOfType(templateJson, "AWS::StepFunctions::StateMachine");
        JsonNode definition = parseDefinition(stateMachine.path("Properties").path("DefinitionString"));
        check("Each partition".equals(definition.path("StartAt").asText()), "StartAt: " + definition.path("StartAt"));
        check(fieldNames(definition.path("States")).equals(List.of("A partition failed", "Each partition")),
                "top-level states: " + fieldNames(definition.path("States")));
        JsonNode eachPartition = definition.path("States").path("Each partition");
        check("Map".equals(eachPartition.path("Type").asText()), "\"Each partition\" is a " + eachPartition.path("Type"));
        check("$.partitions".equals(eachPartition.path("ItemsPath").asText()), "ItemsPath: " + eachPartition.path("ItemsPath"));
        check(eachPartition.path("MaxConcurrency").asInt() == 10, "MaxConcurrency: " + eachPartition.path("MaxConcurrency"));
        JsonNode expectedCatch = JSON.valueToTree(List.of(Map.of(
                "ErrorEquals", List.of("RetryableEcsRunTask.NotRetryable", "RetryableEcsRunTask.AttemptsExhausted"),
                "Next", "A partition failed")));
        check(expectedCatch.equals(eachPartition.path("Catch")), "Map Catch: " + eachPartition.path("Catch"));

        // Inside the Map: both fragments, each state prefixed with its construct id, Extract first.
        JsonNode processor = eachPartition.path("ItemProcessor");
        JsonNode inner = processor.path("States");
        check("Extract: Start attempts".equals(processor.path("StartAt").asText()),
                "ItemProcessor.StartAt: " + processor.path("StartAt"));
        for (String name : fieldNames(inner)) {
            check(name.startsWith("Extract: ") || name.startsWith("Load: "), "state inside the Map without a fragment prefix: " + name);
        }
        for (String fragment : List.of("Extract", "Load")) {
            for (String state : List.of("Start attempts", "Run task", "Decide retry", "Retry or fail", "Record result")) {
                check(inner.has(fragment + ": " + state), "\"" + fragment + ": " + state + "\" missing; states: " + fieldNames(inner));
            }
            String resultPath = "$." + fragment.toLowerCase();
            String caught = inner.path(fragment + ": Run task").path("Catch").path(0).path("ResultPath").asText();
            check(caught.startsWith(resultPath + "."), fragment + ": Run task catches into " + caught + ", not under " + resultPath);
            JsonNode payload = inner.path(fragment + ": Decide retry").path("Parameters");
            check(("PartitionPipelineStack/Partitions/" + fragment).equals(payload.path("run").asText()),
                    fragment + " decider run name: " + payload.path("run"));
            // A fragment that sets no list gets every default; Load sets retryableExitCodes only.
            JsonNode policy = wholePolicy(templateJson, payload.path("policy"));
            Map<String, Object> expectedLists = Map.of(
                    "retryableStopCodes", DEFAULT_STOP_CODES,
                    "retryableStoppedReasons", DEFAULT_RETRYABLE_STOPPED_REASONS,
                    "nonRetryableStoppedReasons", DEFAULT_NON_RETRYABLE_STOPPED_REASONS,
                    "retryableErrors", DEFAULT_RETRYABLE_ERRORS,
                    "nonRetryableErrorCauses", DEFAULT_NON_RETRYABLE_ERROR_CAUSES,
                    "retryableExitCodes", "Load".equals(fragment) ? List.of(75) : List.of());
            for (Map.Entry<String, Object> entry : expectedLists.entrySet()) {
                JsonNode expected = JSON.valueToTree(entry.getValue());
                JsonNode got = policy.path(entry.getKey());
                check(expected.equals(got), fragment + " " + entry.getKey() + ":\n  got      " + got + "\n  expected " + expected);
            }
        }
        return "java consumer: PartitionPipeline: a Map of " + inner.size() + " states from 2 fragments, 1 Lambda function, in "
                + templateFile.getParent();
    }

    private static List<String> fieldNames(final JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        return names;
    }

    private static List<String> plus(final List<String> list, final String element) {
        List<String> joined = new ArrayList<>(list);
        joined.add(element);
        return List.copyOf(joined);
    }

    private static String checkAssembly(final Path outdir, final Path templateFile) throws IOException {
        // The template exactly as written into the cloud assembly.
        String templateText = Files.readString(templateFile);
        Template template = Template.fromString(templateText);
        JsonNode templateJson = JSON.readTree(templateText);

        // One state machine, and one Lambda function: the shared decider.
        template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        template.resourceCountIs("AWS::Lambda::Function", 1);
        template.hasResourceProperties("AWS::Lambda::Function",
                Map.of("Runtime", Match.stringLikeRegexp("^nodejs"), "Handler", "index.handler"));

        // The policy passed to the construct is rendered into the decider's payload.
        JsonNode stateMachine = onlyResourceOfType(templateJson, "AWS::StepFunctions::StateMachine");
        JsonNode definition = parseDefinition(stateMachine.path("Properties").path("DefinitionString"));
        JsonNode decide = definition.path("States").path("Decide retry");
        check(decide.isObject(), "\"Decide retry\" state missing; states: " + definition.path("States").fieldNames());
        // It sends what differs from the default policy, with the defaults' id; the decider function has
        // the defaults in its environment, and the two make the whole policy.
        JsonNode diff = decide.path("Parameters").path("policy");
        check(!diff.has("nonRetryableErrorCauses"), "a list left as its default is sent: " + fieldNames(diff));
        JsonNode policy = wholePolicy(templateJson, diff);
        JsonNode expected = JSON.valueToTree(EXPECTED_POLICY);
        check(expected.equals(policy), "rendered policy differs:\n  got      " + policy + "\n  expected " + expected);
        check(definition.path("TimeoutSeconds").asInt() == 8 * 3600, "TimeoutSeconds: " + definition.path("TimeoutSeconds"));

        // The decider's code asset was staged into the cloud assembly, and its index.js is not empty.
        JsonNode function = onlyResourceOfType(templateJson, "AWS::Lambda::Function");
        JsonNode s3Key = function.path("Properties").path("Code").path("S3Key");
        check(s3Key.isTextual(), "Lambda Code.S3Key: " + function.path("Properties").path("Code"));
        List<JsonNode> sources = new ArrayList<>();
        // The stack's own asset manifest: the app's other stack has its own decider with the same asset.
        String assetManifest = templateFile.getFileName().toString().replace(".template.json", ".assets.json");
        try (DirectoryStream<Path> manifests = Files.newDirectoryStream(outdir, assetManifest)) {
            for (Path manifest : manifests) {
                for (JsonNode entry : JSON.readTree(manifest.toFile()).path("files")) {
                    for (JsonNode destination : entry.path("destinations")) {
                        if (destination.path("objectKey").equals(s3Key)) {
                            sources.add(entry.path("source"));
                            break;
                        }
                    }
                }
            }
        }
        check(sources.size() == 1, "one asset manifest entry for " + s3Key + ", found " + sources.size());
        check("zip".equals(sources.get(0).path("packaging").asText()), "decider asset packaging: " + sources.get(0));
        Path indexJs = outdir.resolve(sources.get(0).path("path").asText()).resolve("index.js");
        check(Files.isRegularFile(indexJs), indexJs + " exists");
        long size = Files.size(indexJs);
        check(size > 0, indexJs + " is not empty");

        return "java consumer: " + definition.path("States").size() + " states, policy as passed, 1 Lambda function, "
                + "decider asset " + sources.get(0).path("path").asText() + "/index.js (" + size + " bytes) in " + outdir;
    }

    /**
     * Three runs in one stack, the Lambda engine with a topic, the state machine engine, and a state
     * machine engine step of a workflow, with {@link BatchJobsDashboard}, in an app of its own.
     * Returns the template file.
     */
    private static Path synthBatchJobs(final Path outdir) {
        App batchApp = App.Builder.create().outdir(outdir.toString()).build();
        Stack stack = new Stack(batchApp, "BatchJobsStack");
        Vpc vpc = Vpc.Builder.create(stack, "Vpc").maxAzs(2).natGateways(1).build();
        Cluster cluster = Cluster.Builder.create(stack, "Cluster").vpc(vpc).build();
        FargateTaskDefinition task = new FargateTaskDefinition(stack, "Task");
        task.addContainer("job", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable")).build());
        RetryableEcsRunTask nightly = RetryableEcsRunTask.Builder.create(stack, "NightlyReport")
                .cluster(cluster).taskDefinition(task).failureTopic(new Topic(stack, "Alerts")).build();
        RetryableEcsRunTask hourly = RetryableEcsRunTask.Builder.create(stack, "HourlyReport")
                .cluster(cluster).taskDefinition(task).decisionEngine(DecisionEngine.STATE_MACHINE).build();
        LogGroup workflowLogs = new LogGroup(stack, "PipelineLogs");
        RetryableEcsRunTaskFragment load = RetryableEcsRunTaskFragment.Builder.create(stack, "Load")
                .cluster(cluster).taskDefinition(task)
                .decisionEngine(DecisionEngine.STATE_MACHINE).stateMachineLogGroup(workflowLogs).build();
        StateMachine.Builder.create(stack, "Pipeline")
                .definitionBody(DefinitionBody.fromChainable(load))
                .logs(LogOptions.builder().destination(workflowLogs).level(LogLevel.ALL).build())
                .build();
        BatchJobsDashboard.create(stack, nightly, hourly, load);
        CloudAssembly assembly = batchApp.synth();
        return Path.of(assembly.getDirectory()).resolve(assembly.getStackArtifact(stack.getArtifactId()).getTemplateFile());
    }

    /** The dashboard exists, and every metric its widgets name is one of the three runs' own. */
    private static String checkBatchJobs(final Path templateFile) throws IOException {
        JsonNode template = JSON.readTree(templateFile.toFile());
        JsonNode body = parseDefinition(onlyResourceOfType(template, "AWS::CloudWatch::Dashboard").path("Properties").path("DashboardBody"));
        Set<String> published = new HashSet<>();
        for (JsonNode resource : template.path("Resources")) {
            if ("AWS::Logs::MetricFilter".equals(resource.path("Type").asText())) {
                for (JsonNode t : resource.path("Properties").path("MetricTransformations")) {
                    List<String> keys = new ArrayList<>();
                    t.path("Dimensions").forEach((d) -> keys.add(d.path("Key").asText()));
                    keys.sort(null);
                    published.add(t.path("MetricNamespace").asText() + " " + t.path("MetricName").asText() + " " + keys);
                }
            }
        }
        List<String> titles = new ArrayList<>();
        int searches = 0;
        for (JsonNode widget : body.path("widgets")) {
            titles.add(widget.path("properties").path("title").asText());
            for (JsonNode entry : widget.path("properties").path("metrics")) {
                if (entry.path(0).isObject()) {
                    String expression = entry.path(0).path("expression").asText();
                    check(expression.contains("Run=\"BatchJobsStack/NightlyReport/Run\""), "SEARCH of another run: " + expression);
                    check(published.contains("RetryableEcsRunTask Retries [Rule, Run]"), "no per-rule Retries filter: " + published);
                    searches++;
                    continue;
                }
                String namespace = entry.path(0).asText();
                Map<String, String> dimensions = new TreeMap<>();
                for (int i = 2; i + 1 < entry.size() && entry.path(i).isTextual(); i += 2) {
                    dimensions.put(entry.path(i).asText(), entry.path(i + 1).asText());
                }
                if ("AWS/States".equals(namespace)) {
                    check(dimensions.keySet().equals(Set.of("StateMachineArn")), "AWS/States metric: " + entry);
                    continue;
                }
                String metric = namespace + " " + entry.path(1).asText() + " " + new ArrayList<>(dimensions.keySet());
                check(published.contains(metric), "no metric filter for " + entry + "; filters: " + published);
                if (dimensions.containsKey("Run")) {
                    check("BatchJobsStack/NightlyReport/Run".equals(dimensions.get("Run")), "metric of another run: " + entry);
                } else {
                    check(Set.of("RetryableEcsRunTask/BatchJobsStack/HourlyReport/Run", "RetryableEcsRunTask/BatchJobsStack/Load").contains(namespace),
                            "namespace of another run: " + entry);
                }
            }
        }
        for (String prefix : List.of("BatchJobsStack/NightlyReport: ", "BatchJobsStack/HourlyReport: ", "Pipeline: load: ")) {
            check(titles.stream().anyMatch((t) -> t.startsWith(prefix)), "no widget title starts with " + prefix + ": " + titles);
        }
        check(searches == 1, searches + " SEARCH expressions");
        return "java consumer: BatchJobsStack: " + titles.size() + " widgets of 3 runs on one dashboard, each naming a metric of its run";
    }

    /**
     * The whole policy of a LAMBDA_FUNCTION run, as its decider makes it (src/decider/whole-policy.ts): "Decide retry"
     * sends what differs from the default policy, with the defaults' id, and the template's decider function has the
     * defaults in its environment variable RETRY_POLICY_DEFAULTS. The default fallback rules only for a run with a fallback.
     */
    private static JsonNode wholePolicy(final JsonNode templateJson, final JsonNode policyDiff) throws IOException {
        List<JsonNode> deciders = new ArrayList<>();
        for (JsonNode resource : templateJson.path("Resources")) {
            if ("AWS::Lambda::Function".equals(resource.path("Type").asText())
                    && resource.path("Properties").path("Environment").path("Variables").has("RETRY_POLICY_DEFAULTS")) {
                deciders.add(resource);
            }
        }
        check(deciders.size() == 1, "one decider function with RETRY_POLICY_DEFAULTS in its environment, found " + deciders.size());
        JsonNode defaults = JSON.readTree(
                deciders.get(0).path("Properties").path("Environment").path("Variables").path("RETRY_POLICY_DEFAULTS").asText());
        check(policyDiff.isObject(), "Decide retry policy: " + policyDiff);
        ObjectNode diff = ((ObjectNode) policyDiff).deepCopy();
        JsonNode defaultsId = diff.remove("defaultsId");
        check(defaults.path("id").isTextual(), "RETRY_POLICY_DEFAULTS id: " + defaults.path("id"));
        check(defaults.path("id").equals(defaultsId), "Decide retry names defaults " + defaultsId + ", the decider has " + defaults.path("id"));
        ObjectNode policy = ((ObjectNode) defaults.path("policy")).deepCopy();
        ObjectNode fallback = (ObjectNode) policy.remove("fallback");
        if (diff.has("fallback")) {
            fallback.setAll((ObjectNode) diff.path("fallback"));
            diff.set("fallback", fallback);
        }
        policy.setAll(diff);
        return policy;
    }

    private static JsonNode onlyResourceOfType(final JsonNode template, final String type) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode resource : template.path("Resources")) {
            if (type.equals(resource.path("Type").asText())) {
                found.add(resource);
            }
        }
        check(found.size() == 1, "one " + type + ", found " + found.size());
        return found.get(0);
    }

    /** Joins an Fn::Join definition, each token replaced by a placeholder string, and parses it. */
    private static JsonNode parseDefinition(final JsonNode definitionString) throws IOException {
        if (definitionString.isTextual()) {
            return JSON.readTree(definitionString.asText());
        }
        JsonNode join = definitionString.path("Fn::Join");
        String separator = join.path(0).asText();
        StringBuilder joined = new StringBuilder();
        for (Iterator<JsonNode> parts = join.path(1).elements(); parts.hasNext();) {
            JsonNode part = parts.next();
            joined.append(part.isTextual() ? part.asText() : "TOKEN");
            if (parts.hasNext()) {
                joined.append(separator);
            }
        }
        return JSON.readTree(joined.toString());
    }

    private static void check(final boolean condition, final String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
