using Idunox.Shared.Errors;
using System.Net;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Tests;

public sealed class SeedTests
{
    private static readonly Dictionary<string, string?> SeedSettings = new()
    {
        ["Seed:PartnerEmail"] = "seeded-partner@demo.test",
        ["Seed:PartnerPassword"] = "seeded partner password",
        ["Seed:StaffEmail"] = "seeded-staff@idunox.test",
        ["Seed:StaffPassword"] = "seeded staff password",
    };

    [Fact]
    public async Task Development_seeds_the_demo_organisation_and_its_users_once_across_restarts()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        for (var start = 0; start < 2; start++)
        {
            await using var app = IdunoxApp.OnPostgres(database, "Development", SeedSettings);
            var organisations = await OrganisationsAsync(app);
            Assert.Equal([("demo", "Demo Partner")], organisations.Select(o => (o.Slug, o.Name)));
            Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().PostLoginAsync("seeded-partner@demo.test", "seeded partner password")).StatusCode);

            await using var scope = app.Services.CreateAsyncScope();
            var users = await scope.ServiceProvider.GetRequiredService<IPartnerUserDirectory>().ListByTenantAsync(organisations[0].Id, CancellationToken.None);
            Assert.Equal(["seeded-partner@demo.test"], users.Select(u => u.Email));
            // The staff user exists: adding it again is refused as a duplicate.
            var again = await scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>()
                .AddStaffUserAsync("seeded-staff@idunox.test", [], "another staff password", CancellationToken.None);
            Assert.Equal(ProvisioningError.EmailTaken, again.Failure?.Code);
        }
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Testing")]
    public async Task Only_Development_is_seeded(string environment)
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = IdunoxApp.OnPostgres(database, environment, SeedSettings);

        Assert.Empty(await OrganisationsAsync(app));
        await (await app.CreateClient().PostLoginAsync("seeded-partner@demo.test", "seeded partner password"))
            .AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    private static async Task<IReadOnlyList<OrganisationInfo>> OrganisationsAsync(IdunoxApp app)
    {
        _ = app.Server;
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>().ListOrganisationsAsync(CancellationToken.None);
    }
}
