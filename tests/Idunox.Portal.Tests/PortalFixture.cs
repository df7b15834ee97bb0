using Microsoft.Playwright;

namespace Idunox.Portal.Tests;

/// <summary>
/// The real host on Kestrel (a free port on 127.0.0.1) over its own PostgreSQL database, and one headless Debian
/// Chromium driven by Playwright. Shared by the browser tests, which run one after another (one collection): each
/// arranges its own organisation and opens its own browser context (cookies of its own).
/// </summary>
public class PortalFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private TestDatabase? _database;

    /// <summary>The PostgreSQL database of the host, for tests that arrange rows directly (null on SQLite).</summary>
    public string? DatabaseConnectionString => _database?.ConnectionString;
    private IPlaywright? _playwright;

    public IdunoxApp App { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Where the host listens, e.g. http://127.0.0.1:40123.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    /// <summary>The test host speaks plain HTTP on loopback, so its cookies cannot be HTTPS-only (a test checks the flag itself).</summary>
    /// <remarks>
    /// The data API's gateway has routes naming three scopes (their upstream is not there: the pages only offer the scopes),
    /// so the key pages show the access choice as an installation with scopes does.
    /// </remarks>
    public static readonly IReadOnlyDictionary<string, string?> BrowserSettings = new Dictionary<string, string?>
    {
        ["Http:SecureCookies"] = "false",
        ["Gateway:Routes:orders:ClusterId"] = "data",
        ["Gateway:Routes:orders:Match:Path"] = "/v1/orders/{**rest}",
        ["Gateway:Routes:orders:Metadata:Scope"] = "orders:read",
        ["Gateway:Routes:order-changes:ClusterId"] = "data",
        ["Gateway:Routes:order-changes:Match:Path"] = "/v1/order-changes/{**rest}",
        ["Gateway:Routes:order-changes:Metadata:Scope"] = "orders:write",
        ["Gateway:Routes:invoices:ClusterId"] = "data",
        ["Gateway:Routes:invoices:Match:Path"] = "/v1/invoices/{**rest}",
        ["Gateway:Routes:invoices:Metadata:Scope"] = "invoices:read",
        ["Gateway:Clusters:data:Destinations:one:Address"] = "http://127.0.0.1:9/",
        ["Gateway:Scopes:orders:read:Description"] = "See orders, their lines and their delivery status.",
        ["Gateway:Scopes:orders:write:Description"] = "Place, change and cancel orders.",
        ["Gateway:Scopes:invoices:read:Description"] = "See invoices and download them as PDF.",
    };

    protected virtual Task<IdunoxApp> CreateAppAsync() => CreatePostgresAppAsync();

    private async Task<IdunoxApp> CreatePostgresAppAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        return IdunoxApp.OnPostgres(_database, extra: BrowserSettings);
    }

    public async Task InitializeAsync()
    {
        App = await CreateAppAsync();
        App.UseKestrel(0);
        App.StartServer();
        BaseAddress = App.ClientOptions.BaseAddress;
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic",
            ],
        });
    }

    /// <summary>A fresh browser context (no cookies) and a page in it; 1280 px wide unless asked otherwise.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, bool javaScript = true, ColorScheme? systemScheme = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            JavaScriptEnabled = javaScript,
            ColorScheme = systemScheme ?? ColorScheme.Light,
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        return page;
    }

    /// <summary>One value from the test's PostgreSQL database, to check what was (and was not) stored.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public HttpClient CreateHttpClient() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await App.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<PortalFixture>
{
    public const string Name = "browser";
}
