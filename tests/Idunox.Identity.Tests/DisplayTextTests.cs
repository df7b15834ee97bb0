using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Tests;

/// <summary>
/// Every name and reason people type is shown to other people (lists, e-mails, the audit trail, the staff log): a hidden
/// or control character in it is refused wherever it enters, as it is for key names.
/// </summary>
public sealed class DisplayTextTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    public static TheoryData<string> Hidden => new()
    {
        "\u202E", // right-to-left override: "Acme‮dtL" reads backwards
        "\u200B", // zero-width space
        "\u0007", // a control character (bell)
        "\u2028", // line separator
    };

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task An_organisation_name_with_a_hidden_character_is_refused_and_nothing_is_created(string hidden)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();
        var slug = $"hidden-{Guid.NewGuid():N}"[..20];

        var result = await provisioning.AddOrganisationAsync($"Acme{hidden}Logistics", slug, CancellationToken.None);

        Assert.Equal(ProvisioningError.Invalid, result.Failure!.Code);
        Assert.Contains("name", result.Failure!.Errors!.Keys);
        Assert.DoesNotContain(await provisioning.ListOrganisationsAsync(CancellationToken.None), o => o.Slug == slug);
    }

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task A_portal_users_display_name_with_a_hidden_character_is_refused_on_invitation(string hidden)
    {
        var partner = await App.PartnerAsync();
        await using var scope = App.Services.CreateAsyncScope();
        var email = $"hidden-{Guid.NewGuid():N}@partner.example";

        var result = await scope.ServiceProvider.GetRequiredService<IPartnerAccounts>().InviteAsync(partner.Organisation.Id, email, $"IT{hidden}Team",
            CancellationToken.None);

        Assert.Equal(ProvisioningError.Invalid, result.Failure!.Code);
        Assert.DoesNotContain(await scope.ServiceProvider.GetRequiredService<IPartnerUserDirectory>().ListByTenantAsync(partner.Organisation.Id, CancellationToken.None),
            u => u.Email == email);
    }

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task A_staff_reason_with_a_hidden_character_is_refused_at_the_command_line_and_nothing_changes(string hidden)
    {
        var staff = await App.StaffAsync();

        var result = await HostProcess.RunAsync(["staff", "disable", staff.Email, "--reason", $"left{hidden}the company"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Idunox"] = fixture.Database.ConnectionString,
            ["Jwt__SigningKey"] = IdunoxApp.JwtSigningKey,
            ["Email__Mode"] = "Pickup",
            ["Email__PickupDirectory"] = App.MailDirectory,
        });

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}");
        Assert.Contains("reason", result.Error, StringComparison.Ordinal);
        await using var scope = App.Services.CreateAsyncScope();
        Assert.True((await scope.ServiceProvider.GetRequiredService<IStaffDirectory>().FindAsync(staff.User.Id, CancellationToken.None))!.Enabled);
    }
}
