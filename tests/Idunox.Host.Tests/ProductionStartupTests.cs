using System.Net;
using Idunox.Testing;

namespace Idunox.Host.Tests;

public sealed class ProductionStartupTests
{
    [Fact]
    public async Task Production_refuses_to_start_without_a_connection_string()
    {
        var (exitCode, output, error) = await HostProcess.RunAsync([], new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ConnectionStrings:Idunox is missing", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // a message, not a stack trace
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_refuses_SQLite()
    {
        var (exitCode, _, error) = await HostProcess.RunAsync(["migrate"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Sqlite",
            ["ConnectionStrings__Idunox"] = "Data Source=prod.db",
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("Production requires PostgreSQL", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_does_not_migrate_by_itself_and_serves_after_the_migrate_verb()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var production = new Dictionary<string, string?>
        {
            ["Database:MigrateOnStartup"] = "false", // Production's own default
        };

        await using (var unmigrated = IdunoxApp.OnPostgres(database, "Production", production))
        {
            var ready = await unmigrated.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("pending migrations", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Idunox"] = database.ConnectionString,
            ["Jwt__SigningKey"] = IdunoxApp.JwtSigningKey,
            ["Email__Mode"] = "Pickup",
        };
        // Any other verb on an unmigrated production database: one line that names the fix.
        var early = await HostProcess.RunAsync(["tenants", "list"], environment);
        Assert.Equal(1, early.ExitCode);
        Assert.Equal("idunox: the database is not migrated (identity, credentials, notifications, staffadmin pending): run `idunox migrate` first.",
            early.Error.Trim());
        Assert.Empty(early.Out);

        var first = await HostProcess.RunAsync(["migrate"], environment);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Matches(@"(?m)^identity: applied [1-9]\d* migration\(s\): \d{14}_Initial", first.Out);
        Assert.Contains("hangfire: created the job schema", first.Out, StringComparison.Ordinal);
        Assert.Contains("Database (Postgres) is up to date.", first.Out, StringComparison.Ordinal);
        Assert.Empty(first.Error); // a first migration is quiet: no "Failed executing DbCommand" for the missing history tables

        var second = await HostProcess.RunAsync(["migrate"], environment);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("identity: up to date", second.Out, StringComparison.Ordinal);
        Assert.Contains("hangfire: job schema up to date", second.Out, StringComparison.Ordinal);

        await using var migrated = IdunoxApp.OnPostgres(database, "Production", production);
        var answer = await migrated.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task Production_refuses_to_start_without_a_JWT_signing_key_of_256_bits()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Idunox"] = "Host=127.0.0.1;Database=never-used",
        };

        var missing = await HostProcess.RunAsync([], environment);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Jwt:SigningKey is required in Production", missing.Error, StringComparison.Ordinal);

        environment["Jwt__SigningKey"] = "too-short-a-key!";
        var tooShort = await HostProcess.RunAsync([], environment);
        Assert.Equal(1, tooShort.ExitCode);
        Assert.Contains("Jwt:SigningKey is too short: 128 bits; HS256 needs at least 256.", tooShort.Error, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> ProductionWith(params (string Key, string? Value)[] settings)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Idunox"] = "Host=127.0.0.1;Database=never-used",
            ["Jwt__SigningKey"] = IdunoxApp.JwtSigningKey,
            ["Email__Smtp__Host"] = "smtp.invalid",
            ["Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return environment;
    }

    [Fact]
    public async Task Production_refuses_to_start_without_a_certificate_for_the_key_ring_and_says_how_to_make_one()
    {
        var missing = await HostProcess.RunAsync([], ProductionWith(("DataProtection__CertificatePath", "")));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("DataProtection:CertificatePath is required in Production", missing.Error, StringComparison.Ordinal);
        Assert.Contains("openssl req -x509", missing.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.Error, StringComparison.Ordinal); // a message, not a stack trace

        var absent = await HostProcess.RunAsync([], ProductionWith(("DataProtection__CertificatePath", "/nowhere/dp.pfx")));
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("no certificate file at '/nowhere/dp.pfx'", absent.Error, StringComparison.Ordinal);

        var notACertificate = Path.GetTempFileName();
        await File.WriteAllTextAsync(notACertificate, "not a certificate");
        var garbage = await HostProcess.RunAsync([], ProductionWith(("DataProtection__CertificatePath", notACertificate)));
        File.Delete(notACertificate);
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("could not be read as a PKCS#12 certificate", garbage.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("partner.idunox.example", "")]
    [InlineData("partner.idunox.example", "partner.idunox.example")]
    [InlineData("", "admin.idunox.example")]
    public async Task Production_refuses_to_serve_the_staff_area_on_the_portals_origin_unless_told_to(string portal, string admin)
    {
        var refused = await HostProcess.RunAsync([], ProductionWith(("Hosts__Portal", portal), ("Hosts__Admin", admin), ("Hosts__AllowSharedOrigin", "")));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Hosts:Admin and Hosts:Portal are required in Production and must differ", refused.Error, StringComparison.Ordinal);
        Assert.Contains("Hosts:AllowSharedOrigin=true", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_refuses_to_let_staff_sign_in_without_a_second_factor()
    {
        var started = await HostProcess.RunAsync([], ProductionWith(("Admin__RequireTwoFactor", "false")));

        Assert.Equal(1, started.ExitCode);
        Assert.Contains("Admin:RequireTwoFactor cannot be false in Production", started.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_verbs_and_stray_arguments_are_usage_errors()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Idunox"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"idunox-verb-{Guid.NewGuid():N}.db")}",
        };

        var unknown = await HostProcess.RunAsync(["frobnicate"], environment);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown verb 'frobnicate'", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("migrate", unknown.Error, StringComparison.Ordinal);

        var stray = await HostProcess.RunAsync(["migrate", "now"], environment);
        Assert.Equal(2, stray.ExitCode);
        Assert.StartsWith("usage:\n  migrate ", stray.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_verb_in_aligned_columns_and_each_verb_explains_itself()
    {
        var environment = DevelopmentOnFreshSqlite();

        var help = await HostProcess.RunAsync(["help"], environment);
        Assert.Equal(0, help.ExitCode);
        var rows = help.Out.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["help", "jobs", "migrate", "openapi", "partners", "staff", "tenants"], rows.Select(r => r.Trim().Split(' ')[0]).Order());
        Assert.Single(rows.Select(r => r.IndexOf(r.Trim().Split(' ', 2)[1].Trim(), 2, StringComparison.Ordinal)).Distinct());

        foreach (var verb in new[] { "tenants", "partners", "staff", "jobs", "migrate", "openapi" })
        {
            var verbHelp = await HostProcess.RunAsync([verb, "--help"], environment);
            Assert.True(verbHelp.ExitCode == 0, $"{verb} --help: {verbHelp.Error}");
            Assert.Contains($"  {verb} ", verbHelp.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_openapi_verb_writes_the_served_document_without_touching_the_database()
    {
        var environment = DevelopmentOnFreshSqlite();

        var written = await HostProcess.RunAsync(["openapi"], environment);
        var refused = await HostProcess.RunAsync(["openapi", "--outpt", "x.json"], environment);

        Assert.True(written.ExitCode == 0, written.Error);
        using var document = System.Text.Json.JsonDocument.Parse(written.Out);
        Assert.Equal("3.1.1", document.RootElement.GetProperty("openapi").GetString());
        Assert.True(document.RootElement.GetProperty("paths").TryGetProperty("/v1/partner/credentials/{id}/rotate", out _));
        Assert.Equal("http://localhost:5080", document.RootElement.GetProperty("servers")[0].GetProperty("url").GetString());
        Assert.False(File.Exists(environment["ConnectionStrings__Idunox"]!["Data Source=".Length..]), "the verb created the database");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--outpt", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_fresh_embedded_default_a_verb_migrates_first_and_its_output_is_only_its_answer()
    {
        var environment = DevelopmentOnFreshSqlite();

        var list = await HostProcess.RunAsync(["tenants", "list"], environment);

        Assert.True(list.ExitCode == 0, list.Error);
        Assert.StartsWith("SLUG ", list.Out, StringComparison.Ordinal);
        Assert.Equal("idunox: migrated the database first (identity, credentials, notifications, staffadmin), as the web host would.", list.Error.Trim());
        Assert.DoesNotContain("info:", list.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outside_Production_a_key_ring_certificate_is_made_once_and_kept()
    {
        var environment = DevelopmentOnFreshSqlite();
        environment["DataProtection__CertificatePath"] = "";
        var made = Path.Combine(AppContext.BaseDirectory, "data", "data-protection.pfx");

        var first = await HostProcess.RunAsync(["tenants", "list"], environment);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(File.Exists(made));
        var thumbprint = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(made, null).Thumbprint;
        var second = await HostProcess.RunAsync(["tenants", "list"], environment);

        Assert.True(second.ExitCode == 0, second.Error);
        using var kept = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(made, null);
        Assert.True(kept.HasPrivateKey);
        Assert.Equal(thumbprint, kept.Thumbprint);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(made));
        }
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_and_exit_1_before_any_start_up_work()
    {
        using var holder = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var environment = DevelopmentOnFreshSqlite();
        environment["Urls"] = $"http://127.0.0.1:{port}";

        var (exitCode, _, error) = await HostProcess.RunAsync([], environment);

        Assert.Equal(1, exitCode);
        Assert.Equal($"idunox: cannot start: port {port} (127.0.0.1) is in use; set Urls (e.g. Urls=http://localhost:5081) or stop the other process.",
            error.Trim());
        Assert.False(File.Exists(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(environment["ConnectionStrings__Idunox"]).DataSource),
            "nothing was migrated before the port was checked");
    }

    private static Dictionary<string, string?> DevelopmentOnFreshSqlite() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ConnectionStrings__Idunox"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"idunox-verb-{Guid.NewGuid():N}.db")}",
    };
}
