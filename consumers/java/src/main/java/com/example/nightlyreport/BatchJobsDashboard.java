package com.example.nightlyreport;

// The region between the README markers is README's Java example of "Dashboards", word for word
// (test/readme-examples.test.ts checks it); ConsumerApp synthesizes and checks it.

// README:start
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import io.github.cdkretryableecsruntask.RetryableEcsRunTaskFragment;
import io.github.cdkretryableecsruntask.RunDashboardOptions;
import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.cloudwatch.Dashboard;

/**
 * The widgets of several runs on one dashboard: the Lambda engine (nightlyReport), the state
 * machine engine (hourlyReport) and a step of a workflow (load).
 */
public final class BatchJobsDashboard {
    private BatchJobsDashboard() {
    }

    public static Dashboard create(final Stack stack, final RetryableEcsRunTask nightlyReport,
            final RetryableEcsRunTask hourlyReport, final RetryableEcsRunTaskFragment load) {
        // One row per run: each widget is 6 columns wide, and a row has 24.
        return Dashboard.Builder.create(stack, "BatchJobs")
                .dashboardName("batch-jobs")
                .widgets(List.of(
                        nightlyReport.dashboardWidgets(),
                        hourlyReport.dashboardWidgets(RunDashboardOptions.builder().period(Duration.minutes(1)).build()),
                        load.dashboardWidgets(RunDashboardOptions.builder().titlePrefix("Pipeline: load").build())))
                .build();
    }
}
// README:end
