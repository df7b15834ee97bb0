using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Idunox.Testing;

/// <summary>
/// The whole host in memory, with settings of the test's choosing and a fake clock the test moves.
/// Settings are applied with UseSetting so that they are visible while the modules register themselves.
/// </summary>
public class IdunoxApp(string environment, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    /// <summary>The start of every test's day: a Monday, 09:00 UTC.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    /// <summary>The HS256 key every test host signs with, so tests can forge tokens with it (and with others).</summary>
    public const string JwtSigningKey = "dGVzdC1vbmx5LWp3dC1zaWduaW5nLWtleS1vZi01MTItYml0cy1zby1oczUxMi1mb3JnZXJpZXMtY2FuLWJlLQ==";

    public FakeTimeProvider Clock { get; } = new(Epoch);

    public CapturedLogs Logs { get; } = new();

    /// <summary>Services a test adds to the host (before it starts), e.g. a <see cref="CommandGate"/>.</summary>
    public List<Action<IServiceCollection>> TestServices { get; } = [];

    /// <summary>Where this host writes e-mails (pickup mode, unless a test chooses SMTP).</summary>
    public string MailDirectory { get; } = Path.Combine(Path.GetTempPath(), $"idunox-mail-{Guid.NewGuid():N}");

    /// <summary>A host on PostgreSQL, migrated at start-up, with test keys.</summary>
    public static IdunoxApp OnPostgres(TestDatabase database, string environment = "Testing", IReadOnlyDictionary<string, string?>? extra = null) =>
        new(environment, Merge(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Idunox"] = database.ConnectionString,
            ["Database:MigrateOnStartup"] = "true",
            ["Credentials:Environment"] = "test",
            ["Jwt:SigningKey"] = JwtSigningKey,
            // Every request of a test host comes from one address: keep the per-address limits out of the way.
            ["Identity:Login:AttemptsPerAddressPerMinute"] = "100000",
            ["Credentials:Verification:RefusalsPerAddressPerMinute"] = "100000",
        }, extra));

    /// <summary>A host on a SQLite file of its own, migrated at start-up.</summary>
    public static IdunoxApp OnSqlite(string file, string environment = "Testing", IReadOnlyDictionary<string, string?>? extra = null) =>
        new(environment, Merge(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Idunox"] = $"Data Source={file}",
            ["Database:MigrateOnStartup"] = "true",
            ["Credentials:Environment"] = "test",
            ["Jwt:SigningKey"] = JwtSigningKey,
            // Every request of a test host comes from one address: keep the per-address limits out of the way.
            ["Identity:Login:AttemptsPerAddressPerMinute"] = "100000",
            ["Credentials:Verification:RefusalsPerAddressPerMinute"] = "100000",
        }, extra));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Email:Mode", "Pickup");
        builder.UseSetting("Email:PickupDirectory", MailDirectory);
        // Jobs run when a test runs them, not when a real clock says so.
        builder.UseSetting("Jobs:Server:Enabled", "false");
        // One key ring certificate for every test host and verb of the process (servers of one platform share it), and
        // in Production one origin unless a test gives the surfaces hosts of their own.
        foreach (var (key, value) in environment == "Production" ? TestCertificates.ProductionDefaults : TestCertificates.Defaults)
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        // Everything reaches the captured logs, SQL commands included, whatever the host's own filters say.
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ClientAddressFilter>();
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            foreach (var add in TestServices)
            {
                add(services);
            }
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(MailDirectory))
        {
            Directory.Delete(MailDirectory, recursive: true);
        }
    }

    /// <summary>The in-memory server has no client address; tests get 127.0.0.1, or what the X-Test-Client-Address header says.</summary>
    public const string ClientAddressHeader = "X-Test-Client-Address";

    private sealed class ClientAddressFilter : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (context.Connection.RemoteIpAddress is null)
                {
                    context.Connection.RemoteIpAddress =
                        context.Request.Headers.TryGetValue(ClientAddressHeader, out var value) && System.Net.IPAddress.TryParse(value.ToString(), out var address)
                            ? address
                            : System.Net.IPAddress.Loopback;
                }

                await nextMiddleware(context);
            });
            next(app);
        };
    }

    private static Dictionary<string, string?> Merge(Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?>? extra)
    {
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }
}
