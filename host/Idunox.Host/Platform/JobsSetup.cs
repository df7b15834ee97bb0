using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.Storage;
using Idunox.Host.Verbs;
using Idunox.Identity.Contracts;
using System.Diagnostics;
using Idunox.Shared.Jobs;
using Idunox.Shared.Observability;
using Idunox.Shared.Security;
using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Npgsql;

namespace Idunox.Host.Platform;

internal enum JobStorageKind
{
    InMemory,
    Postgres,
}

/// <summary><c>Jobs:*</c>: where Hangfire keeps its jobs, and whether this process runs a Hangfire server.</summary>
internal sealed record JobsSettings(JobStorageKind Storage, string? ConnectionString, bool ServerEnabled, int WorkerCount)
{
    public const string Schema = "hangfire";

    public override string ToString() => $"JobsSettings {{ Storage = {Storage}, ServerEnabled = {ServerEnabled}, WorkerCount = {WorkerCount} }}";

    public static JobsSettings From(IConfiguration configuration, DatabaseSettings database)
    {
        var text = configuration["Jobs:Storage"];
        var storage = string.IsNullOrWhiteSpace(text)
            ? database.Provider == DatabaseProvider.Postgres ? JobStorageKind.Postgres : JobStorageKind.InMemory
            : Enum.TryParse<JobStorageKind>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new StartupConfigurationException($"Jobs:Storage must be InMemory or Postgres (it is '{text}').");
        if (storage == JobStorageKind.Postgres && database.Provider != DatabaseProvider.Postgres)
        {
            throw new StartupConfigurationException("Jobs:Storage=Postgres needs Database:Provider=Postgres: Hangfire shares its database.");
        }

        var workers = configuration.GetValue("Jobs:Server:WorkerCount", 2);
        return new JobsSettings(storage, storage == JobStorageKind.Postgres ? database.ConnectionString : null,
            configuration.GetValue("Jobs:Server:Enabled", true), Math.Clamp(workers, 1, 20));
    }
}

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

/// <summary>
/// The parts of Hangfire's configuration that only exist process-wide (serializer settings, the global filter list).
/// Set once, under a lock, before any host of this process uses Hangfire: Hangfire enumerates the global filters while
/// it creates and performs jobs, so adding to them while another host runs is the race that made the suite flaky.
/// </summary>
internal static class ProcessWideJobState
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseFilter(new TenantJobFilter());
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureConfigured() => _ = Configured.Value;
}

/// <summary>
/// The dashboard's own check, behind the endpoint's staff policy (which already signed the member in from the staff
/// cookie): a staff member of the staff session, and nobody else, whatever reaches the dashboard's handlers.
/// </summary>
internal sealed class StaffDashboardAuthorization : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => IsStaff(context.GetHttpContext());

    private static bool IsStaff(HttpContext http) => StaffIdentity(http)?.HasClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Staff) == true;

    public static bool IsOps(HttpContext http) => StaffIdentity(http)?.HasClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Ops) == true;

    private static System.Security.Claims.ClaimsIdentity? StaffIdentity(HttpContext http) =>
        http.User.Identities.FirstOrDefault(i => i.IsAuthenticated && i.AuthenticationType == IdunoxAuthentication.StaffCookieScheme);
}

/// <summary>
/// Puts every module's recurring job on its schedule at start-up. Until the job storage is ready (the <c>hangfire</c>
/// schema of an unmigrated production database) it keeps trying every 30 seconds instead of failing the host.
/// </summary>
internal sealed class RecurringJobSchedule(
    IRecurringJobManager manager, IEnumerable<RecurringJobRegistration> registrations, ILogger<RecurringJobSchedule> logger) : BackgroundService
{
    private bool _scheduled;

    /// <summary>Schedules at once when the storage is ready, so the jobs are there when the host has started.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _scheduled = TrySchedule();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!_scheduled && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken);
            _scheduled = TrySchedule();
        }
    }

    private bool TrySchedule()
    {
        try
        {
            foreach (var job in registrations)
            {
                manager.AddOrUpdate<RecurringJobRunner>(job.Name, r => r.RunAsync(job.Name, CancellationToken.None), job.Cron,
                    new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
            }

            logger.LogInformation("Scheduled {Count} recurring jobs", registrations.Count());
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not schedule the recurring jobs (has the migrate verb run?): {Error}. Trying again in 30 seconds.", e.Message);
            return false;
        }
    }
}

/// <summary>What Hangfire (and the <c>jobs run</c> verb) calls: one run of one named job, in a service scope of its own.</summary>
internal sealed class RecurringJobRunner(
    IServiceScopeFactory scopes, IEnumerable<RecurringJobRegistration> registrations, JobMetrics metrics, ILogger<RecurringJobRunner> logger)
{
    [AutomaticRetry(Attempts = 3)]
    [System.ComponentModel.DisplayName("{0}")]
    public async Task<string> RunAsync(string name, CancellationToken cancellationToken)
    {
        var registration = registrations.FirstOrDefault(r => r.Name == name)
            ?? throw new InvalidOperationException($"There is no job named '{name}'.");
        await using var scope = scopes.CreateAsyncScope();
        var job = (IRecurringJob)scope.ServiceProvider.GetRequiredService(registration.JobType);
        using var activity = IdunoxTelemetry.Jobs.StartActivity($"job {name}");
        activity?.SetTag("idunox.job", name);
        var started = Stopwatch.GetTimestamp();
        JobOutcome outcome;
        try
        {
            outcome = await job.RunAsync(cancellationToken);
        }
        catch (Exception e)
        {
            metrics.Ran(name, succeeded: false, Stopwatch.GetElapsedTime(started), items: 0);
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }

        metrics.Ran(name, succeeded: true, Stopwatch.GetElapsedTime(started), outcome.Items);
        activity?.SetTag("idunox.job.items", outcome.Items);
        // A run that found nothing to do is not news: every minute of an idle day would say so otherwise.
        logger.Log(outcome.DidNothing ? LogLevel.Debug : LogLevel.Information, "Job {Job}: {Summary}", name, outcome.Summary);
        return outcome.Summary;
    }
}

/// <summary>
/// Hangfire logs through one static provider. Bound to a host's logger factory, it throws once that host is disposed;
/// this one drops the line instead, so a process that hosts several apps in turn (the tests) never trips over it.
/// </summary>
internal sealed class ResilientLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(factory);

    public Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return new Resilient(_inner.GetLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new Resilient(null);
        }
    }

    private sealed class Resilient(Hangfire.Logging.ILog? inner) : Hangfire.Logging.ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                return inner?.Log(logLevel, messageFunc, exception) ?? false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}

/// <summary>The recurring jobs as Hangfire's storage knows them: what the staff area shows beside its link to the dashboard.</summary>
internal sealed class HangfireJobOverview(JobStorage storage, IEnumerable<RecurringJobRegistration> registrations) : IJobOverview
{
    public Task<IReadOnlyList<RecurringJobStatus>> RecurringJobsAsync(CancellationToken cancellationToken)
    {
        using var connection = storage.GetConnection();
        var stored = connection.GetRecurringJobs().ToDictionary(j => j.Id, StringComparer.Ordinal);
        IReadOnlyList<RecurringJobStatus> jobs = registrations.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r =>
            stored.TryGetValue(r.Name, out var job)
                ? new RecurringJobStatus(r.Name, r.Cron, job.LastExecution, job.LastJobState, job.NextExecution)
                : new RecurringJobStatus(r.Name, r.Cron, null, null, null)).ToList();
        return Task.FromResult(jobs);
    }
}
