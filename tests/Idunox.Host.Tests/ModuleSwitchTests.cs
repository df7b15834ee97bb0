using System.Net;
using Idunox.Shared.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Host.Tests;

public sealed class ModuleSwitchTests
{
    [Fact]
    public async Task Switching_modules_off_removes_their_endpoints_and_tables_and_leaves_the_rest_working()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = IdunoxApp.OnPostgres(database, extra: new Dictionary<string, string?>
        {
            ["Modules:Credentials:Enabled"] = "false",
            ["Modules:Notifications:Enabled"] = "false",
            ["Modules:StaffAdmin:Enabled"] = "false",
        });
        var partner = await app.PartnerAsync();
        var client = app.ClientWithToken(await app.SignInAsync(partner));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/v1/partner/me", UriKind.Relative))).StatusCode);
        await (await client.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await app.CreateClient().GetAsync(new Uri("/v1/partner-auth-probe", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(["identity"], app.Services.GetServices<IModuleDatabase>().Select(d => d.Schema));
        Assert.Equal(["identity"], await SchemasWithTablesAsync(database, "identity", "credentials", "notifications", "staffadmin"));
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
    }

    private static async Task<List<string>> SchemasWithTablesAsync(TestDatabase database, params string[] schemas)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_schema = ANY(@schemas) ORDER BY 1", connection);
        command.Parameters.AddWithValue("schemas", schemas);
        var found = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }

    [Fact]
    public async Task A_web_host_announces_where_everything_is_and_one_that_does_not_exit_in_time_is_killed()
    {
        var database = Path.Combine(Path.GetTempPath(), $"idunox-hung-{Guid.NewGuid():N}.db");
        // A web host never exits by itself: the helper must end it when its time is up, and not leave it running.
        HostProcessTimeoutException? timedOut = null;
        try
        {
            var (exitCode, output, error) = await HostProcess.RunAsync(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__Idunox"] = $"Data Source={database}",
            }, timeout: TimeSpan.FromSeconds(45));
            Assert.Fail($"The web host exited by itself with code {exitCode}.\nstdout: {output}\nstderr: {error}");
        }
        catch (HostProcessTimeoutException e)
        {
            timedOut = e;
        }

        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(timedOut.ProcessId));
        Assert.Contains("Idunox Partner Platform is running (Development, Sqlite).", timedOut.Message, StringComparison.Ordinal);
        Assert.Matches(@"API reference\s+http://localhost:\d+/docs", timedOut.Message);
        Assert.Contains("partner@demo.test / demo-partner-password", timedOut.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switching_off_a_module_another_needs_is_refused_with_a_clear_message()
    {
        var (exitCode, _, error) = await HostProcess.RunAsync(["migrate"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Idunox"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"idunox-switch-{Guid.NewGuid():N}.db")}",
            ["Modules__Identity__Enabled"] = "false",
        });

        Assert.Equal(1, exitCode);
        Assert.Equal(
            "idunox: cannot start: The Credentials module needs Identity: switch it on (Modules:Identity:Enabled=true) or switch Credentials off too.",
            error.Trim());
    }
}
