package com.example.nightlyreport;

// The region between the README markers is README's second Java example, word for word
// (test/readme-examples.test.ts checks it).

// README:start
import io.github.cdkretryableecsruntask.RetryErrors;
import io.github.cdkretryableecsruntask.RetryableEcsRunTaskFragment;
import java.util.List;
import software.amazon.awscdk.services.ecs.ICluster;
import software.amazon.awscdk.services.ecs.TaskDefinition;
import software.amazon.awscdk.services.stepfunctions.CatchProps;
import software.amazon.awscdk.services.stepfunctions.DefinitionBody;
import software.amazon.awscdk.services.stepfunctions.Fail;
import software.amazon.awscdk.services.stepfunctions.Map;
import software.amazon.awscdk.services.stepfunctions.StateMachine;
import software.constructs.Construct;

/** Extracts and loads every partition of the input, each step a retrying ECS task run. */
public class PartitionPipeline extends Construct {
    private final StateMachine stateMachine;

    public PartitionPipeline(final Construct scope, final String id, final ICluster cluster,
            final TaskDefinition extractTask, final TaskDefinition loadTask) {
        super(scope, id);

        RetryableEcsRunTaskFragment extract = RetryableEcsRunTaskFragment.Builder.create(this, "Extract")
                .cluster(cluster)
                .taskDefinition(extractTask)
                .resultPath("$.extract")
                .build();
        RetryableEcsRunTaskFragment load = RetryableEcsRunTaskFragment.Builder.create(this, "Load")
                .cluster(cluster)
                .taskDefinition(loadTask)
                .resultPath("$.load")
                .retryableExitCodes(List.of(75))
                .build();

        // One retrying extract-and-load per partition.
        Map eachPartition = Map.Builder.create(this, "Each partition")
                .itemsPath("$.partitions")
                .maxConcurrency(10)
                .build();
        eachPartition.itemProcessor(extract.next(load));
        eachPartition.addCatch(Fail.Builder.create(this, "A partition failed").build(), CatchProps.builder()
                .errors(List.of(RetryErrors.NOT_RETRYABLE, RetryErrors.ATTEMPTS_EXHAUSTED))
                .build());

        this.stateMachine = StateMachine.Builder.create(this, "Pipeline")
                .definitionBody(DefinitionBody.fromChainable(eachPartition))
                .build();
    }

    public StateMachine getStateMachine() {
        return stateMachine;
    }
}
// README:end
