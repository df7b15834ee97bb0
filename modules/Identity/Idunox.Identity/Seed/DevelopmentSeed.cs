using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Identity.Users;
using Idunox.Shared.Modularity;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.Seed;

/// <summary>
/// Development only (registered only there): organisation "Demo Partner" (<c>demo</c>), a portal user and a staff user
/// with every role, from <c>Seed:*</c>. Creates what is missing (a user, or a role the demo staff member lacks) and
/// otherwise leaves what exists alone, so restarts change nothing.
/// </summary>
internal sealed class DevelopmentSeed(IConfiguration configuration, ILogger<DevelopmentSeed> logger) : IStartupTask
{
    public const string DemoSlug = "demo";

    public int Order => 100;

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();
        var db = scope.ServiceProvider.GetRequiredService<IdentityModuleDbContext>();
        var seed = configuration.GetSection("Seed");

        if (!await db.Organisations.AnyAsync(o => o.Slug == DemoSlug, cancellationToken))
        {
            Check(await provisioning.AddOrganisationAsync("Demo Partner", DemoSlug, cancellationToken));
        }

        var partnerEmail = seed["PartnerEmail"] ?? "partner@demo.test";
        var partners = scope.ServiceProvider.GetRequiredService<UserManager<PartnerUser>>();
        if (await partners.FindByEmailAsync(partnerEmail) is null)
        {
            Check(await provisioning.AddPartnerUserAsync(DemoSlug, partnerEmail, "Demo Partner IT",
                seed["PartnerPassword"] ?? "demo-partner-password", cancellationToken));
            logger.LogInformation("Seeded the Demo Partner organisation's portal user {Email}", partnerEmail);
        }

        var staffEmail = seed["StaffEmail"] ?? "staff@idunox.test";
        var staff = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        if (await staff.FindByEmailAsync(staffEmail) is not { } seeded)
        {
            Check(await provisioning.AddStaffUserAsync(staffEmail, StaffRoles.All, seed["StaffPassword"] ?? "demo-staff-password", cancellationToken));
            logger.LogInformation("Seeded the staff user {Email}", staffEmail);
        }
        else if ((await staff.GetRolesAsync(seeded)).Count < StaffRoles.All.Count)
        {
            // A database seeded before a role existed: the demo member gets every role, as a new seed would.
            Check(await scope.ServiceProvider.GetRequiredService<IStaffDirectory>().SetRolesAsync(seeded.Id, StaffRoles.All, cancellationToken));
        }
    }

    private static void Check<T>(Outcome<T> result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"The Development seed failed: {result.Failure!.Message}");
        }
    }
}
