using System.Text.Json;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Idunox.Host.Platform;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: every module's database is reachable and migrated.</summary>
internal static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddIdunoxHealthChecks(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<ModuleDatabasesHealthCheck>("databases", tags: [ReadyTag]);
        // The health check service logs every unhealthy answer at Error: a load balancer asking every few seconds during a
        // database outage would log an error each time. The check reports the outage itself, once (DatabaseOutageLog).
        builder.Logging.AddFilter(typeof(HealthCheckService).Namespace + ".DefaultHealthCheckService", LogLevel.Critical);
        return builder;
    }

    public static WebApplication MapIdunoxHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(http.Response.Body, new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description, data = e.Value.Data }),
        }, cancellationToken: http.RequestAborted);
    }
}

internal sealed class ModuleDatabasesHealthCheck(
    IServiceProvider services, IEnumerable<IModuleDatabase> databases, DatabaseOutageLog outages, ILogger<ModuleDatabasesHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        foreach (var database in databases)
        {
            try
            {
                if (!await database.CanConnectAsync(services, cancellationToken))
                {
                    data[database.Schema] = "unreachable";
                    problems.Add($"{database.Schema}: database unreachable");
                    outages.Report($"{database.Schema}: the readiness check cannot connect");
                    continue;
                }

                var pending = await database.GetPendingMigrationsAsync(services, cancellationToken);
                data[database.Schema] = pending.Count == 0 ? "ok" : $"{pending.Count} pending migrations";
                if (pending.Count > 0)
                {
                    problems.Add($"{database.Schema}: {pending.Count} pending migrations (run the migrate verb)");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Readiness check of the {Schema} database failed", database.Schema);
                data[database.Schema] = "error";
                problems.Add($"{database.Schema}: check failed");
            }
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy("All module databases are reachable and migrated.", data)
            : HealthCheckResult.Unhealthy(string.Join("; ", problems), data: data);
    }
}
