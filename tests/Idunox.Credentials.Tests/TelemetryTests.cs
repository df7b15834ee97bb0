using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Idunox.Credentials.Tests;

/// <summary>Meters are process-wide (every host's instruments reach every listener): these tests run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>OpenTelemetry as operators get it: the product's metrics, the parts' metrics and traces, OTLP, and log scopes.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task The_products_metrics_and_the_parts_traces_reach_the_exporter()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var metrics = new List<MetricSnapshot>();
        var exported = new LockedCollection<Activity>(); // background work (heartbeats) adds spans while the test reads them
        await using var app = IdunoxApp.OnPostgres(database, extra: new Dictionary<string, string?> { ["Telemetry:Enabled"] = "true" });
        app.TestServices.Add(services =>
        {
            services.ConfigureOpenTelemetryMeterProvider(b => b.AddInMemoryExporter(metrics));
            services.ConfigureOpenTelemetryTracerProvider(b => b.AddInMemoryExporter(exported));
        });
        var session = await PartnerSession.StartAsync(app);

        // Sign-ins: one refused, then the session's own (on its first call).
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostLoginAsync(session.Partner.Email, "not the password")).StatusCode);
        var (key, credential) = await session.CreateKeyAsync();
        var id = credential.GetProperty("id").GetGuid();

        // Verifications: a miss (first sight), a hit, a never-issued key, a malformed one.
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PartnerSession.Probe(app, ApiKeyFormat.Generate("test"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PartnerSession.Probe(app, "garbage")).StatusCode);

        // Changes: a rotation (its successor is not counted as created), then the successor revoked (evicted from the cache).
        var (successor, successorCredential, _) = await session.RotateAsync(id, graceHours: 24);
        // The rotation's notice may reach this host's listener while the successor's first sight is being looked up; that
        // lookup then is not cached (a change happened meanwhile), and a second sight caches it.
        var cache = app.Services.GetRequiredService<Idunox.Credentials.Verification.KeyVerificationCache>();
        var successorProbes = 0;
        do
        {
            Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(successor)).StatusCode);
            successorProbes++;
        }
        while (!cache.Holds(successorCredential.GetProperty("id").GetGuid()) && successorProbes < 5);
        Assert.True(cache.Holds(successorCredential.GetProperty("id").GetGuid()), "the successor is cached before it is revoked");
        Assert.Equal(HttpStatusCode.OK, (await session.PostRevokeAsync(successorCredential.GetProperty("id").GetGuid())).StatusCode);

        // Jobs: the old key's grace ends and is recorded. No job server runs here, so the outbox has waited since the
        // key's creation (the first event) when the metrics are read 25 hours and 90 seconds later.
        app.Clock.Advance(TimeSpan.FromHours(25));
        await app.RunJobAsync("grace-sweep");
        app.Clock.Advance(TimeSpan.FromSeconds(90));
        Flush(app);
        var waiting = Last(metrics, "idunox.outbox.pending", ("module", "credentials"));
        Assert.Equal(4, waiting.GetGaugeLastValueLong()); // created, rotated, revoked, grace ended
        Assert.Equal(TimeSpan.FromHours(25).TotalSeconds + 90, Last(metrics, "idunox.outbox.oldest_pending_age", ("module", "credentials")).GetGaugeLastValueDouble(), precision: 0);

        await app.RunJobAsync("outbox-dispatch");
        await app.RunJobAsync("email-dispatch");
        app.Clock.Advance(TimeSpan.FromSeconds(11)); // past the backlog reading's 10 seconds
        Flush(app);

        Assert.Equal(2 + successorProbes, Sum(metrics, "idunox.api_key.verifications", ("outcome", "accepted"))); // the key twice, the successor until cached
        Assert.Equal(1, Sum(metrics, "idunox.api_key.verifications", ("outcome", "api_key_invalid")));
        Assert.Equal(1, Sum(metrics, "idunox.api_key.verifications", ("outcome", "api_key_malformed")));
        Assert.Equal(1, Sum(metrics, "idunox.api_key.changes", ("change", "created")));
        Assert.Equal(1, Sum(metrics, "idunox.api_key.changes", ("change", "rotated")));
        Assert.Equal(1, Sum(metrics, "idunox.api_key.changes", ("change", "revoked")));
        Assert.Equal(1, Sum(metrics, "idunox.api_key.cache.lookups", ("result", "hit"))); // the key's second sight
        Assert.True(Sum(metrics, "idunox.api_key.cache.lookups", ("result", "miss")) >= 3, "first sights of two keys and a never-issued one");
        Assert.True(Sum(metrics, "idunox.api_key.cache.evictions", ("reason", "changed")) >= 2, "the rotated key and the revoked successor");
        Assert.Equal(1, Sum(metrics, "idunox.sign_ins", ("who", "partner"), ("outcome", "invalid_credentials")));
        Assert.True(Sum(metrics, "idunox.sign_ins", ("who", "partner"), ("outcome", "succeeded")) >= 1);
        Assert.Equal(1, Sum(metrics, "idunox.job.runs", ("job", "grace-sweep"), ("outcome", "succeeded")));
        Assert.Equal(1, Sum(metrics, "idunox.job.items", ("job", "grace-sweep")));
        Assert.True(Sum(metrics, "idunox.emails.sent", ("kind", "key-created")) >= 1, "the key-created notice went out");
        Assert.Equal(0, Last(metrics, "idunox.emails.pending").GetGaugeLastValueLong());
        Assert.Equal(0, Last(metrics, "idunox.outbox.pending", ("module", "credentials")).GetGaugeLastValueLong());

        // The parts: ASP.NET Core, Npgsql and the runtime have metrics of their own.
        Assert.Contains(metrics, m => m.Name == "http.server.request.duration");
        Assert.Contains(metrics, m => m.MeterName == "Npgsql");
        Assert.Contains(metrics, m => m.MeterName is "System.Runtime" or "OpenTelemetry.Instrumentation.Runtime");
        // No tenant, key or user ever becomes a tag.
        var tagged = metrics.Where(m => m.MeterName.StartsWith("Idunox.", StringComparison.Ordinal))
            .SelectMany(m => m.MetricPoints.SelectMany(p => Tags(p))).Select(t => t.Key).Distinct().Order().ToList();
        Assert.Equal(["change", "job", "kind", "module", "outcome", "reason", "result", "who"], tagged);

        // Traces: a portal request with its SQL commands inside it, the data API, and a job run.
        var spans = exported.Snapshot();
        var create = Assert.Single(spans, s => s.Source.Name == "Microsoft.AspNetCore" && s.DisplayName == "POST /v1/partner/credentials/");
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.TraceId == create.TraceId);
        Assert.Contains(spans, s => s.Source.Name == "Microsoft.AspNetCore" && s.DisplayName == "GET /v1/partner-auth-probe" && s.GetTagItem("http.response.status_code") is 200);
        var sweep = Assert.Single(spans, s => s.Source.Name == "Idunox.Jobs" && s.DisplayName == "job grace-sweep");
        Assert.Equal(1, sweep.GetTagItem("idunox.job.items"));
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.TraceId == sweep.TraceId);
        Assert.Contains(spans, s => s.Source.Name == "Idunox.Jobs" && s.DisplayName == "outbox deliver");
        // Secrets never become span data.
        var spanText = string.Join('\n', spans.Select(s => $"{s.DisplayName} {string.Join(' ', s.TagObjects.Select(t => $"{t.Key}={t.Value}"))}"));
        Assert.DoesNotContain(key, spanText, StringComparison.Ordinal);
        Assert.DoesNotContain(successor, spanText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_or_the_setting_nothing_is_recorded_and_the_host_works()
    {
        await using var app = IdunoxApp.OnSqlite(Path.Combine(Path.GetTempPath(), $"idunox-{Guid.NewGuid():N}.db"));
        var session = await PartnerSession.StartAsync(app);
        var (key, _) = await session.CreateKeyAsync();

        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
        Assert.Null(app.Services.GetService<MeterProvider>());
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_traces_metrics_and_logs_are_exported_to_it()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = IdunoxApp.OnPostgres(database, extra: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        var session = await PartnerSession.StartAsync(app);
        var (key, _) = await session.CreateKeyAsync();
        // The request's span ends when the host's pipeline has finished, which may be just after the answer arrived here.
        var probeSpanEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("url.path") is "/v1/partner-auth-probe")
                {
                    probeSpanEnded.TrySetResult();
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
        await probeSpanEnded.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Flush(app);

        var traces = collector.Received("/v1/traces");
        Assert.Contains("idunox-partner-platform", traces, StringComparison.Ordinal); // the service's name
        Assert.Contains("/v1/partner-auth-probe", traces, StringComparison.Ordinal);
        Assert.Contains("Npgsql", traces, StringComparison.Ordinal);
        var exported = collector.Received("/v1/metrics");
        Assert.Contains("idunox.api_key.verifications", exported, StringComparison.Ordinal);
        Assert.Contains("idunox.api_key.changes", exported, StringComparison.Ordinal);
        Assert.Contains("http.server.request.duration", exported, StringComparison.Ordinal);
        Assert.DoesNotContain(key, traces + exported + collector.Received("/v1/logs"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_lines_name_the_tenant_and_for_the_data_API_the_key_by_id_never_the_key()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = IdunoxApp.OnPostgres(database);
        var session = await PartnerSession.StartAsync(app);
        var (key, credential) = await session.CreateKeyAsync("billing-export");
        var tenant = session.Partner.Organisation.Id;
        var keyId = credential.GetProperty("id").GetGuid();

        // A portal request: the use case's own line carries the tenant the request was resolved to.
        var created = Assert.Single(app.Logs.Lines, l => l.Contains("created in tenant", StringComparison.Ordinal));
        Assert.Contains($"[TenantId={tenant}]", created, StringComparison.Ordinal);

        // A data API request: whatever its endpoint logs carries the tenant and the key's id.
        var gate = app.Services.GetRequiredService<ApiKeyGate>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Idunox.DataApi.Test");
        await using var scope = app.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Headers["X-Api-Key"] = key;
        http.Connection.RemoteIpAddress = IPAddress.Loopback;
        var marker = Guid.NewGuid();
        await gate.InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ =>
        {
            logger.LogInformation("Answered {Marker}", marker);
            return ValueTask.FromResult<object?>(null);
        });

        var line = Assert.Single(app.Logs.Lines, l => l.Contains(marker.ToString(), StringComparison.Ordinal));
        Assert.Contains($"[TenantId={tenant} KeyId={keyId}]", line, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
    }

    private static void Flush(IdunoxApp app)
    {
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        Assert.True(app.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
    }

    private static IEnumerable<KeyValuePair<string, object?>> Tags(MetricPoint point)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags)
        {
            tags.Add(tag);
        }

        return tags;
    }

    private static bool Matches(MetricPoint point, (string Key, string Value)[] tags) =>
        tags.All(t => Tags(point).Any(p => p.Key == t.Key && Equals(p.Value, t.Value)));

    /// <summary>The counter's total (cumulative: its last export) over the points with these tags.</summary>
    private static long Sum(List<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags)
    {
        var last = metrics.LastOrDefault(m => m.Name == name);
        return last?.MetricPoints.Where(p => Matches(p, tags)).Sum(p => p.GetSumLong()) ?? 0;
    }

    /// <summary>The gauge's point with these tags in its last export.</summary>
    private static MetricPoint Last(List<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags)
    {
        var last = metrics.LastOrDefault(m => m.Name == name) ?? throw new Xunit.Sdk.XunitException($"No {name} was exported.");
        return Assert.Single(last.MetricPoints, p => Matches(p, tags));
    }

    /// <summary>An OTLP/HTTP receiver on a port of its own: it keeps what it is sent, by path.</summary>
    private sealed class FakeCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();

        private FakeCollector(WebApplication app) => _app = app;

        public string Address => _app.Urls.First();

        public static async Task<FakeCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var collector = new FakeCollector(app);
            app.MapPost("/v1/{signal}", async (HttpContext http) =>
            {
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body);
                collector._received.Enqueue((http.Request.Path, body.ToArray()));
                http.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            return collector;
        }

        /// <summary>Everything sent to <paramref name="path"/>, as text (protobuf keeps strings as UTF-8).</summary>
        public string Received(string path) =>
            string.Join('\n', _received.Where(r => r.Path == path).Select(r => Encoding.UTF8.GetString(r.Body)));

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>A collection the exporter adds to from any thread, read by the test as a snapshot.</summary>
internal sealed class LockedCollection<T> : ICollection<T>
{
    private readonly List<T> _items = [];

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public IReadOnlyList<T> Snapshot()
    {
        lock (_items)
        {
            return [.. _items];
        }
    }

    public void Add(T item)
    {
        lock (_items)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_items)
        {
            _items.Clear();
        }
    }

    public bool Contains(T item) => Snapshot().Contains(item);

    public void CopyTo(T[] array, int arrayIndex)
    {
        lock (_items)
        {
            _items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(T item)
    {
        lock (_items)
        {
            return _items.Remove(item);
        }
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

