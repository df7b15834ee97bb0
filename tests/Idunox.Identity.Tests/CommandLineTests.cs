using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.RegularExpressions;
using Idunox.Identity.Contracts;

namespace Idunox.Identity.Tests;

/// <summary>The provisioning verbs, run as an operator runs them: the built host in its own process, on the test database.</summary>
public sealed partial class CommandLineTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private Dictionary<string, string?> Environment => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Database__Provider"] = "Postgres",
        ["ConnectionStrings__Idunox"] = fixture.Database.ConnectionString,
        ["Jwt__SigningKey"] = IdunoxApp.JwtSigningKey,
        ["Email__Mode"] = "Pickup",
        ["Email__PickupDirectory"] = fixture.App.MailDirectory,
    };

    private Task<(int ExitCode, string Out, string Error)> Run(string? stdin, params string[] args) =>
        HostProcess.RunAsync(args, Environment, stdin);

    [Fact]
    public async Task An_operator_creates_an_organisation_and_its_first_user_who_then_signs_in()
    {
        var slug = $"acme-{Guid.NewGuid():N}"[..20];

        var tenant = await Run(null, "tenants", "add", "--name", "Acme Logistics", "--slug", slug);
        Assert.True(tenant.ExitCode == 0, tenant.Error);
        Assert.Contains($"Created organisation 'Acme Logistics' (slug {slug}", tenant.Out, StringComparison.Ordinal);

        var email = $"it-{slug}@acme.example";
        var user = await Run(null, "partners", "add", "--tenant", slug, "--email", email, "--name", "Acme IT");
        Assert.True(user.ExitCode == 0, user.Error);
        Assert.Contains($"Invited portal user {email} to {slug}", user.Out, StringComparison.Ordinal);
        var link = new Uri(System.Text.RegularExpressions.Regex.Match(user.Out, @"(?m)^(http\S+/partner/welcome\?token=\S+)$").Groups[1].Value);
        Assert.DoesNotContain("Password", user.Out, StringComparison.Ordinal);

        // Until the person chooses a password with the link, nobody can sign in as them.
        await (await fixture.App.CreateClient().PostLoginAsync(email, "anything at all 123")).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        var welcome = await fixture.App.CreateClient().GetAsync(new Uri(link.PathAndQuery, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, welcome.StatusCode);
        Assert.Contains("Welcome, Acme IT.", await welcome.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var list = await Run(null, "tenants", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Matches($"(?m)^{slug} +active +[0-9a-f-]{{36}} .* Acme Logistics$", list.Out);
    }

    [Fact]
    public async Task A_password_can_come_from_standard_input_and_is_then_not_printed()
    {
        var partner = await fixture.App.PartnerAsync();
        var email = $"stdin-{Guid.NewGuid():N}@partner.example";

        var added = await Run("a passphrase from stdin\n", "partners", "add", "--tenant", partner.Organisation.Slug, "--email", email, "--password-stdin");

        Assert.True(added.ExitCode == 0, added.Error);
        Assert.DoesNotContain("a passphrase from stdin", added.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", added.Out, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fixture.App.CreateClient().PostLoginAsync(email, "a passphrase from stdin")).StatusCode);

        var weak = await Run("short\n", "partners", "add", "--tenant", partner.Organisation.Slug, "--email", $"weak-{email}", "--password-stdin");
        Assert.Equal(2, weak.ExitCode);
        Assert.Contains("at least 12 characters", weak.Error, StringComparison.Ordinal);

        var empty = await Run("", "partners", "add", "--tenant", partner.Organisation.Slug, "--email", $"empty-{email}", "--password-stdin");
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("standard input held no password", empty.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_exit_1_with_a_clear_message()
    {
        var partner = await fixture.App.PartnerAsync();

        var duplicateSlug = await Run(null, "tenants", "add", "--name", "Again", "--slug", partner.Organisation.Slug);
        Assert.Equal((1, $"error: An organisation with the slug '{partner.Organisation.Slug}' already exists."), (duplicateSlug.ExitCode, duplicateSlug.Error.Trim()));

        var duplicateEmail = await Run(null, "partners", "add", "--tenant", partner.Organisation.Slug, "--email", partner.Email.ToUpperInvariant());
        Assert.Equal(1, duplicateEmail.ExitCode);
        Assert.Contains("already exists", duplicateEmail.Error, StringComparison.Ordinal);

        var unknownTenant = await Run(null, "partners", "add", "--tenant", "no-such-org", "--email", "x@partner.example");
        Assert.Equal((1, "error: No organisation has the slug 'no-such-org'."), (unknownTenant.ExitCode, unknownTenant.Error.Trim()));

        var unknownSuspend = await Run(null, "tenants", "suspend", "no-such-org");
        Assert.Equal(1, unknownSuspend.ExitCode);

        var unknownUser = await Run(null, "partners", "disable", "nobody@partner.example");
        Assert.Equal(1, unknownUser.ExitCode);
        Assert.Contains("No portal user", unknownUser.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tenants")]
    [InlineData("tenants add")]
    [InlineData("tenants add --name")]
    [InlineData("tenants add --name X --slug Not_A_Slug")]
    [InlineData("tenants add --name X --colour red")]
    [InlineData("tenants add --name X --name Y")]
    [InlineData("tenants list extra")]
    [InlineData("tenants suspend")]
    [InlineData("partners add --tenant demo")]
    [InlineData("partners add --tenant demo --email not-an-email")]
    [InlineData("staff add --email ops@idunox.example --role root")]
    [InlineData("staff add --email ops@idunox.example --role ops,root")]
    [InlineData("staff list --reason because")]
    [InlineData("staff disable a@idunox.example")]
    [InlineData("staff roles a@idunox.example --reason because")]
    [InlineData("staff sign-out a@idunox.example --role ops --reason because")]
    [InlineData("staff remove --email ops@idunox.example")]
    [InlineData("staff add --email ops@idunox.example --password-stdin=yes")]
    [InlineData("staff reset-2fa")]
    [InlineData("staff reset-2fa a@idunox.example b@idunox.example")]
    [InlineData("staff reset-2fa a@idunox.example --role ops")]
    [InlineData("staff reset-2fa a@idunox.example")]
    public async Task Malformed_command_lines_exit_2_with_a_message_and_change_nothing(string commandLine)
    {
        var before = await CountAsync();

        var result = await Run(null, commandLine.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    /// <summary>Organisations, portal users and staff users, counted in the database itself.</summary>
    private async Task<long> CountAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT (SELECT count(*) FROM identity.organisations) + (SELECT count(*) FROM identity.partner_users) + (SELECT count(*) FROM identity.staff_users)",
            connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Suspend_and_activate_switch_an_organisations_sign_in_off_and_on()
    {
        var partner = await fixture.App.PartnerAsync();

        var suspended = await Run(null, "tenants", "suspend", partner.Organisation.Slug);
        Assert.Equal((0, $"Organisation {partner.Organisation.Slug} is now suspended."), (suspended.ExitCode, suspended.Out.Trim()));
        await (await fixture.App.CreateClient().PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");

        var activated = await Run(null, "tenants", "activate", partner.Organisation.Slug);
        Assert.Equal(0, activated.ExitCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.App.CreateClient().PostLoginAsync(partner.Email, partner.Password)).StatusCode);
    }

    [Fact]
    public async Task Staff_are_invited_by_a_one_time_link_and_no_password_is_ever_printed()
    {
        var email = $"ops-{Guid.NewGuid():N}@idunox.example";

        var added = await Run(null, "staff", "add", "--email", email, "--role", "ops,admin", "--reason", "New on-call engineer (HR-12)");

        Assert.True(added.ExitCode == 0, added.Error);
        Assert.Contains($"Invited staff member {email} with roles admin, ops, staff", added.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", added.Out, StringComparison.Ordinal);
        var link = new Uri(Regex.Match(added.Out, @"(?m)^(http\S+/admin/welcome\?token=\S+)$").Groups[1].Value);
        var welcome = await fixture.App.CreateClient().GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, welcome.StatusCode);
        Assert.Contains(email, await welcome.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var list = await Run(null, "staff", "list");
        Assert.Matches($@"(?m)^{Regex.Escape(email)}\s+invited\s+off\s+admin, ops, staff$", list.Out);
        var log = await StaffLogAsync(email);
        Assert.Contains(("staff.invited", $"command line ({System.Environment.UserName})", "New on-call engineer (HR-12)"), log);

        var again = await Run(null, "staff", "add", "--email", email);
        Assert.Equal(0, again.ExitCode); // a new link for someone who has not chosen a password: the first one stops working
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.App.CreateClient().GetAsync(link.PathAndQuery)).StatusCode);
        // A staff account is no portal account.
        await (await fixture.App.CreateClient().PostLoginAsync(email, Arrange.DefaultPassword)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Operators_disable_enable_change_roles_and_sign_out_staff_with_a_reason_in_the_staff_log()
    {
        var staff = await fixture.App.StaffAsync();

        var disabled = await Run(null, "staff", "disable", staff.Email, "--reason", "Left the company");
        Assert.True(disabled.ExitCode == 0, disabled.Error);
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var check = await scope.ServiceProvider.GetRequiredService<IStaffAccounts>().CheckPasswordAsync(staff.Email, staff.Password, "192.0.2.77", CancellationToken.None);
            Assert.False(check.Succeeded);
        }

        Assert.Equal(0, (await Run(null, "staff", "enable", staff.Email, "--reason", "Came back")).ExitCode);
        var roles = await Run(null, "staff", "roles", staff.Email, "--role", "ops", "--reason", "Joins operations");
        Assert.True(roles.ExitCode == 0, roles.Error);
        Assert.Contains("now has the roles ops, staff", roles.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await Run(null, "staff", "sign-out", staff.Email, "--reason", "Laptop stolen")).ExitCode);

        var log = await StaffLogAsync(staff.Email);
        Assert.Contains(log, l => l.Action == "staff.disabled" && l.Reason == "Left the company");
        Assert.Contains(log, l => l.Action == "staff.enabled" && l.Reason == "Came back");
        Assert.Contains(log, l => l.Action == "staff.roles_changed" && l.Reason == "Joins operations");
        Assert.Contains(log, l => l.Action == "staff.sessions_ended" && l.Reason == "Laptop stolen");

        var unknown = await Run(null, "staff", "disable", "nobody@idunox.example", "--reason", "typo");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No staff user has the e-mail address", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resetting_a_staff_members_authenticator_removes_it_ends_its_sessions_and_is_logged_with_who_and_why()
    {
        var staff = await fixture.App.StaffAsync();
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<IStaffAccounts>();
            Assert.NotNull(await accounts.BeginEnrolmentAsync(staff.User.Id, null, CancellationToken.None));
        }

        var stamp = await StampAsync(staff.User.Id);
        var reset = await Run(null, "staff", "reset-2fa", staff.Email, "--reason", "Lost phone (ticket IT-9)");

        Assert.True(reset.ExitCode == 0, reset.Error);
        Assert.Contains($"The authenticator of staff user {staff.Email} was removed", reset.Out, StringComparison.Ordinal);
        Assert.NotEqual(stamp, await StampAsync(staff.User.Id));
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<IStaffAccounts>();
            Assert.Null(await accounts.FindSessionMemberAsync(staff.User.Id, stamp, CancellationToken.None));
        }

        Assert.Contains(("staff.two_factor_reset", $"command line ({System.Environment.UserName})", "Lost phone (ticket IT-9)"), await StaffLogAsync(staff.Email));
        var unknown = await Run(null, "staff", "reset-2fa", "nobody@idunox.example", "--reason", "typo");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No staff user has the e-mail address", unknown.Error, StringComparison.Ordinal);
    }

    /// <summary>The staff log's rows about one member (its subject starts with the e-mail address): action, who, why.</summary>
    private async Task<List<(string Action, string Who, string? Reason)>> StaffLogAsync(string email)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT action, staff_email, reason FROM staffadmin.staff_actions WHERE subject LIKE @email || '%'", connection);
        command.Parameters.AddWithValue("email", email);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string?)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return rows;
    }

    private async Task<string> StampAsync(Guid staffId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT security_stamp FROM identity.staff_users WHERE id = '{staffId}'", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
