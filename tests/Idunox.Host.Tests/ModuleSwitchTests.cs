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
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
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
