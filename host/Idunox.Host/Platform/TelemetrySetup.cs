using System.Diagnostics;
using System.Diagnostics.Metrics;
using Idunox.Notifications.Contracts;
using Idunox.Shared.Observability;
using Idunox.Shared.Outbox;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Idunox.Host.Platform;

/// <summary>
/// OpenTelemetry: traces and metrics of ASP.NET Core, HttpClient, Npgsql (its commands and its pool), the .NET runtime
/// and the product's own meters and sources (<c>Idunox.*</c>). On when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (then
/// exported by OTLP, configured by the standard <c>OTEL_*</c> variables) or when <c>Telemetry:Enabled</c> says so; off
/// otherwise, so a host that exports nowhere spends nothing on recording spans. The product's meters can be read
/// without it too (<c>dotnet-counters monitor --counters Idunox.Credentials,…</c>).
/// </summary>
internal static class TelemetrySetup
{
    public const string ServiceName = "idunox-partner-platform";

    public static WebApplicationBuilder AddIdunoxTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<JobMetrics>();
        builder.Services.AddSingleton<BacklogMetrics>();
        // No e-mail queue while the module that sends e-mail is switched off (it registers its own).
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddScoped<IEmailQueueStatus, NoEmailQueue>(builder.Services);
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exporting = !string.IsNullOrWhiteSpace(endpoint) && !builder.Configuration.GetValue("OTEL_SDK_DISABLED", false);
        if (!builder.Configuration.GetValue("Telemetry:Enabled", exporting))
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(ServiceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString());
                }
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql")
                .AddMeter($"{IdunoxTelemetry.Prefix}.*")
                .AddInstrumentation(services => services.GetRequiredService<BacklogMetrics>()))
            .WithTracing(tracing => tracing
                // Health probes every few seconds would drown the traces that matter.
                .AddAspNetCoreInstrumentation(o => o.Filter = http => Idunox.Shared.Web.Surfaces.Of(http).Surface != Idunox.Shared.Web.Surface.Health)
                .AddHttpClientInstrumentation()
                .AddSource("Yarp.ReverseProxy") // the gateway's forwarding spans
                .AddSource("Npgsql")
                .AddSource($"{IdunoxTelemetry.Prefix}.*"));
        if (exporting)
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}

/// <summary>The meter <c>Idunox.Jobs</c>: runs of the recurring jobs by job and outcome, their duration and what they handled.</summary>
internal sealed class JobMetrics
{
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _items;

    public JobMetrics(IMeterFactory meters)
    {
        var meter = IdunoxTelemetry.Meter(meters, "Jobs");
        _runs = meter.CreateCounter<long>("idunox.job.runs", "{run}", "Runs of the recurring jobs, by job and outcome (succeeded, failed).");
        _duration = meter.CreateHistogram<double>("idunox.job.duration", "s", "How long the recurring jobs' runs took, by job.");
        _items = meter.CreateCounter<long>("idunox.job.items", "{item}",
            "What the runs handled, by job: keys whose grace ended, reminders planned, e-mails sent, events delivered, rows removed.");
    }

    public void Ran(string job, bool succeeded, TimeSpan took, int items)
    {
        var jobTag = IdunoxTelemetry.Tag("job", job);
        _runs.Add(1, jobTag, IdunoxTelemetry.Tag("outcome", succeeded ? "succeeded" : "failed"));
        _duration.Record(took.TotalSeconds, jobTag);
        if (items > 0)
        {
            _items.Add(items, jobTag);
        }
    }
}

/// <summary>
/// What waits to be delivered, observed when the metrics are collected: e-mails not yet accepted by the mail server and
/// outbox events not yet handled (by module), with the age of the oldest. One read of the database a collection at
/// most (kept 10 seconds), and no measurement at all while the database cannot be read.
/// </summary>
internal sealed class BacklogMetrics
{
    private static readonly TimeSpan Kept = TimeSpan.FromSeconds(10);
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ILogger<BacklogMetrics> _logger;
    private readonly Lock _gate = new();
    private (DateTimeOffset ReadAt, Backlog? Value) _last;

    private sealed record Backlog(EmailQueueStatus? Emails, IReadOnlyList<(string Module, OutboxBacklog Events)> Outboxes, DateTime Now);

    public BacklogMetrics(IServiceScopeFactory scopes, IMeterFactory meters, TimeProvider clock, ILogger<BacklogMetrics> logger)
    {
        (_scopes, _clock, _logger) = (scopes, clock, logger);
        var meter = IdunoxTelemetry.Meter(meters, "Jobs");
        meter.CreateObservableGauge("idunox.emails.pending", () => Read() is { Emails: { } e } ? [new Measurement<int>(e.Waiting)] : Array.Empty<Measurement<int>>(),
            "{email}", "E-mails waiting to be sent (new, or failed and waiting for a retry).");
        meter.CreateObservableGauge("idunox.emails.oldest_pending_age", () => Read() is { Emails.OldestQueuedAt: { } oldest } b
                ? [new Measurement<double>(Age(b.Now, oldest))]
                : Array.Empty<Measurement<double>>(),
            "s", "How long the oldest e-mail waiting to be sent has waited (absent when none waits).");
        meter.CreateObservableGauge("idunox.outbox.pending", () => Read() is { } b
                ? b.Outboxes.Select(o => new Measurement<int>(o.Events.Urgent + o.Events.Bulk, IdunoxTelemetry.Tag("module", o.Module)))
                : [],
            "{event}", "Outbox events not handled yet, by module.");
        meter.CreateObservableGauge("idunox.outbox.oldest_pending_age", () => Read() is { } b
                ? b.Outboxes.Where(o => o.Events.OldestAt is not null)
                    .Select(o => new Measurement<double>(Age(b.Now, o.Events.OldestAt!.Value), IdunoxTelemetry.Tag("module", o.Module)))
                : [],
            "s", "How long the oldest outbox event not handled yet has waited, by module (absent when none waits).");
    }

    private static double Age(DateTime now, DateTime since) => Math.Max(0, (now - since).TotalSeconds);

    private Backlog? Read()
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (_last.Value is null || now - _last.ReadAt >= Kept)
            {
                _last = (now, Query(now.UtcDateTime));
            }

            return _last.Value;
        }
    }

    /// <summary>Runs on the metrics collector's thread (callbacks are synchronous): bounded to a few seconds.</summary>
    private Backlog? Query(DateTime now)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var scope = _scopes.CreateScope();
            var emails = scope.ServiceProvider.GetRequiredService<IEmailQueueStatus>().GetAsync(timeout.Token).GetAwaiter().GetResult();
            var outboxes = scope.ServiceProvider.GetServices<IOutboxDispatcher>()
                .Select(o => (o.Module, o.BacklogAsync(timeout.Token).GetAwaiter().GetResult())).ToList();
            return new Backlog(emails, outboxes, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug("Could not read the e-mail and outbox backlog for the metrics: {Error}", e.Message);
            return null;
        }
    }
}
