using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.Storage;
using Idunox.Host.Verbs;
using Idunox.Shared.Jobs;
using Idunox.Shared.Security;
using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Npgsql;

namespace Idunox.Host.Platform;

/// <summary>
/// Hangfire: in memory on the embedded default; otherwise PostgreSQL in its own <c>hangfire</c> schema, set up for several
/// servers on one database (sliding invisibility timeout, a few seconds' polling). The schema is created only where
/// migrations run: at start-up when <c>Database:MigrateOnStartup</c> is on, or by the <c>migrate</c> verb.
/// </summary>
internal static class JobsSetup
{
    public static WebApplicationBuilder AddIdunoxJobs(this WebApplicationBuilder builder, DatabaseSettings database)
    {
        var jobs = JobsSettings.From(builder.Configuration, database);
        builder.Services.AddSingleton(jobs);
        // Hangfire keeps its storage, activator and filters in process-wide statics, and AddHangfire hands out
        // JobStorage.Current and JobActivator.Current as they are when first asked. Several hosts in one process (the
        // tests) would then share, or swap, each other's storage and scopes. Each host registers its own storage and
        // activator before AddHangfire (whose TryAdd keeps them); the one process-wide filter is added once, under a lock.
        builder.Services.AddSingleton<JobStorage>(_ => CreateStorage(jobs, database));
        builder.Services.AddSingleton<JobActivator>(services =>
            new Hangfire.AspNetCore.AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((services, configuration) =>
        {
            // Hangfire's log provider is process-wide: keep it harmless once its host is gone (tests run many hosts).
            configuration.UseLogProvider(new ResilientLogProvider(services.GetRequiredService<ILoggerFactory>()));
            ProcessWideJobState.EnsureConfigured();
        });

        if (jobs.ServerEnabled)
        {
            builder.Services.AddHangfireServer(o =>
            {
                o.WorkerCount = jobs.WorkerCount;
                o.SchedulePollingInterval = TimeSpan.FromSeconds(15);
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        }

        builder.Services.AddOptions<RetentionOptions>().Bind(builder.Configuration.GetSection(RetentionOptions.SectionName))
            .Validate(o => o.Days >= 1, "Retention:Days must be at least 1.").ValidateOnStart();
        builder.Services.AddRecurringJob<RetentionJob>(RetentionJob.JobName, "30 3 * * *");
        builder.Services.AddHostedService<RecurringJobSchedule>();
        builder.Services.AddHealthChecks().AddCheck<JobStorageHealthCheck>("jobs", tags: ["ready"]);
        builder.Services.AddTransient<RecurringJobRunner>();
        builder.Services.AddSingleton<IJobOverview, HangfireJobOverview>();
        builder.Services.AddSingleton<IHostVerb, JobsVerb>();
        return builder;
    }

    private static JobStorage CreateStorage(JobsSettings jobs, DatabaseSettings database)
    {
        if (jobs.Storage != JobStorageKind.Postgres)
        {
            return new Hangfire.InMemory.InMemoryStorage();
        }

        var options = new PostgreSqlStorageOptions
        {
            SchemaName = JobsSettings.Schema,
            PrepareSchemaIfNecessary = database.MigrateOnStartup,
            QueuePollInterval = TimeSpan.FromSeconds(5),
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = TimeSpan.FromMinutes(5),
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
        };
        return new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(jobs.ConnectionString!, options), options);
    }

    /// <summary>
    /// Readiness: the job storage answers. One bounded query (does Hangfire's schema exist?), asynchronous, with no
    /// statistics in the answer: readiness is public, and the dashboard is where job figures are shown.
    /// </summary>
    internal sealed class JobStorageHealthCheck(JobsSettings jobs) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
    {
        public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (jobs.Storage != JobStorageKind.Postgres)
            {
                return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("In-memory job storage.");
            }

            try
            {
                await using var connection = new NpgsqlConnection(jobs.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand($"SELECT to_regclass('{JobsSettings.Schema}.job') IS NOT NULL", connection);
                return await command.ExecuteScalarAsync(cancellationToken) is true
                    ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("The job storage answers.")
                    : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The job storage has no schema yet: run the migrate verb.");
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The job storage's database is unreachable.");
            }
        }
    }

    /// <summary>
    /// <c>/hangfire</c> behind the staff session (cookie and second factor): signed-out browsers are sent to the staff
    /// sign-in and come back; other callers get 401. Role <c>staff</c> sees a read-only dashboard, <c>ops</c> may also
    /// trigger, retry and delete jobs. Works from any address and behind the admin host name.
    /// </summary>
    public static WebApplication MapIdunoxJobDashboard(this WebApplication app)
    {
        var dashboard = app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "Idunox jobs",
            AppPath = "/admin",
            Authorization = [new StaffDashboardAuthorization()],
            IsReadOnlyFunc = context => !StaffDashboardAuthorization.IsOps(context.GetHttpContext()),
            DisplayStorageConnectionString = false,
        });
        // Without the staff area (Modules:StaffAdmin:Enabled=false) there is no staff session: the filter refuses everyone.
        var staffArea = app.Services.GetRequiredService<Microsoft.AspNetCore.Authorization.IAuthorizationPolicyProvider>()
            .GetPolicyAsync(IdunoxAuthentication.StaffPolicy).GetAwaiter().GetResult() is not null;
        if (staffArea)
        {
            dashboard.RequireAuthorization(IdunoxAuthentication.StaffPolicy);
        }
        else
        {
            dashboard.AllowAnonymous();
        }

        return app;
    }

    /// <summary>Creates (or updates) the Hangfire schema: part of <c>migrate</c>.</summary>
    public static async Task<string> MigrateAsync(JobsSettings jobs, CancellationToken cancellationToken)
    {
        if (jobs.Storage != JobStorageKind.Postgres)
        {
            return "hangfire: in memory, nothing to migrate";
        }

        await using var connection = new NpgsqlConnection(jobs.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand($"SELECT to_regclass('{JobsSettings.Schema}.job') IS NOT NULL", connection);
        var existed = await exists.ExecuteScalarAsync(cancellationToken) is true;
        PostgreSqlObjectsInstaller.Install(connection, JobsSettings.Schema);
        return existed ? $"{JobsSettings.Schema}: job schema up to date" : $"{JobsSettings.Schema}: created the job schema";
    }
}
